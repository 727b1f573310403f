using Kfac.Serialization;
using Kfac.Tests.Data;
using NUnit.Framework;

namespace Kfac.Tests.Serialization;

public class AtomicFileTests
{
    [Test]
    public void WritesAndReplacesWithoutLeavingTemporaryFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File("state.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 1, 2, 3 }));
        AtomicFile.Write(path, s => s.Write([9, 8]));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 9, 8 }));
        AtomicFile.WriteAllText(path, "é");
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 0xC3, 0xA9 }), "UTF-8 without a byte-order mark");
        Assert.That(dir.Entries(), Is.EqualTo(new[] { "state.bin" }));
    }

    [Test]
    public void ExceptionMidWriteLeavesThePreviousFileIntactAndNoTemporary()
    {
        using var dir = new TempDirectory();
        string path = dir.File("checkpoint.safetensors");
        var previous = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(path, previous);
        var failure = new IOException("disk full (simulated)");

        var thrown = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[50_000]); // partly written, and more than the stream's buffer
            stream.Flush();
            throw failure;
        }));

        Assert.That(thrown, Is.SameAs(failure), "the writer's exception propagates unchanged");
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(previous));
        Assert.That(dir.Entries(), Is.EqualTo(new[] { "checkpoint.safetensors" }));
    }

    [Test]
    public void ExceptionWithNoPreviousFileLeavesNothing()
    {
        using var dir = new TempDirectory();
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(dir.File("new.bin"), s =>
        {
            s.WriteByte(1);
            throw new InvalidOperationException("serializer failed");
        }));
        Assert.That(dir.Entries(), Is.Empty);
    }

    [Test]
    public void MissingDirectoryIsNamed()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllBytes("/no/such/dir/x.bin", [1]))!;
        Assert.That(e.Message, Does.Contain("'/no/such/dir'"));
    }
}
