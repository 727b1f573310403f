using Kfac.Tests.Data;
using NUnit.Framework;

namespace Kfac.Tests.Library;

/// <summary>docs/guide.md prints the guide's programs; CI compiles and runs the files, so the printed copies
/// must be the files.</summary>
public class GuideTests
{
    [TestCase("examples/GuideMlp/Program.cs")]
    [TestCase("examples/GuideConvNet/Program.cs")]
    public void GuidePrintsTheCompiledProgram(string program)
    {
        string root = FashionMnistSubset.RepositoryRoot();
        string guide = File.ReadAllText(Path.Combine(root, "docs", "guide.md")).ReplaceLineEndings("\n");
        string code = File.ReadAllText(Path.Combine(root, program)).ReplaceLineEndings("\n").TrimEnd();
        Assert.That(guide, Does.Contain("```csharp\n" + code + "\n```"), $"docs/guide.md does not print {program} as it is; copy the file into the guide");
    }
}
