using NUnit.Framework;
namespace Kfac.Tests;
public class SmokeTests { [Test] public void Runs() => Assert.That(1 + 1, Is.EqualTo(2)); 
 [FsCheck.NUnit.Property] public bool AddCommutes(int a, int b) => a + b == b + a; }
