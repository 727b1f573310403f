using System.Buffers.Binary;
using System.IO.Compression;
using Kfac.Data;
using NUnit.Framework;
using static Kfac.Tests.Reliability.ReliabilityFixture;

namespace Kfac.Tests.Reliability;

/// <summary>Every loader error names the file and the problem (an <see cref="InvalidDataException"/> or
/// <see cref="FileNotFoundException"/> whose message holds the path), never a generic OverflowException or a
/// silent infinity.</summary>
public class LoaderRejectionTests
{
    [TestCase("2^28 float64 elements (2^31 bytes)", 0x0E, new uint[] { 1u << 28 }, "bytes, more than one array can hold")]
    [TestCase("2^31 float64 elements", 0x0E, new uint[] { 1u << 16, 1u << 15 }, "more than an array can hold")]
    [TestCase("2^31 uint8 elements", 0x08, new uint[] { 1u << 31 }, "more than")]
    [TestCase("dimension above int range", 0x08, new uint[] { 3_000_000_000u }, "more than 2147483647")]
    [TestCase("truncated payload", 0x0D, new uint[] { 10, 10 }, "truncated")]
    public void IdxHeaderThatCannotBeReadIsRefusedNamingTheFile(string name, int typeCode, uint[] dims, string expected)
    {
        using var dir = TempDir();
        string path = dir.File("bad.idx");
        var bytes = new byte[4 + 4 * dims.Length + 16];
        bytes[2] = (byte)typeCode;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain(expected), name);
    }

    [TestCase("empty", new byte[0], "truncated")]
    [TestCase("bad magic", new byte[] { 1, 2, 8, 1, 0, 0, 0, 1, 5 }, "bad magic number")]
    [TestCase("unknown type", new byte[] { 0, 0, 0x42, 1, 0, 0, 0, 1, 5 }, "unknown element type")]
    [TestCase("zero dimensions", new byte[] { 0, 0, 8, 0 }, "0 dimensions")]
    [TestCase("truncated header", new byte[] { 0, 0, 8, 3, 0, 0, 0, 1 }, "truncated header")]
    [TestCase("extra bytes", new byte[] { 0, 0, 8, 1, 0, 0, 0, 1, 5, 6 }, "more bytes")]
    public void MalformedIdxFileIsRefusedNamingTheFile(string name, byte[] bytes, string expected)
    {
        using var dir = TempDir();
        string path = dir.File("bad.idx");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain(expected), name);
    }

    [Test]
    public void TruncatedGzipIdxIsRefusedNamingTheFile()
    {
        using var dir = TempDir();
        string path = dir.File("images.idx.gz");
        using (var ms = new MemoryStream())
        {
            IdxFile.FromArray(new byte[400], 4, 10, 10).Write(ms, gzip: true);
            File.WriteAllBytes(path, ms.ToArray()[..(int)(ms.Length / 2)]);
        }
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path))!;
        Assert.That(e.Message, Does.Contain(path));
    }

    [TestCase("overflow 1e400", "a,b\n1,2\n3,1e400\n", "line 3, column 2 ('b'): '1e400'", "outside the range")]
    [TestCase("overflow -1e400", "a,b\n-1e400,2\n", "line 2, column 1 ('a'): '-1e400'", "outside the range")]
    [TestCase("NaN", "a,b\n1,NaN\n", "line 2, column 2 ('b'): 'NaN'", "NaN")]
    [TestCase("Infinity literal", "a,b\nInfinity,1\n", "line 2, column 1", "outside the range")]
    [TestCase("not a number", "a,b\n1,two\n", "line 2, column 2 ('b'): 'two'", "not a number")]
    [TestCase("ragged row", "a,b\n1,2\n3\n", "line 3", "1 fields, expected 2")]
    [TestCase("unterminated quote", "a,b\n1,\"2\n", "line 2", "unterminated")]
    [TestCase("no rows", "", "", "no header")]
    public void BadCsvIsRefusedNamingFileLineAndColumn(string name, string text, string where, string problem)
    {
        using var dir = TempDir();
        string path = dir.File("table.csv");
        File.WriteAllText(path, text);
        var e = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain(where).And.Contain(problem), name);
    }

    [Test]
    public void OverflowInGzipCsvIsRefusedToo()
    {
        using var dir = TempDir();
        string path = dir.File("table.csv.gz");
        using (var file = File.Create(path))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        using (var w = new StreamWriter(gz))
            w.Write("x,y\n1,1e999\n");
        var e = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("line 2, column 2"));
    }

    [Test]
    public void MissingDataFilesAreNamed()
    {
        string path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}");
        Assert.That(Assert.Throws<FileNotFoundException>(() => CsvTable.Read(path + ".csv"))!.Message, Does.Contain(path));
        Assert.That(Assert.Throws<FileNotFoundException>(() => IdxFile.Read(path + ".idx"))!.Message, Does.Contain(path));
    }
}
