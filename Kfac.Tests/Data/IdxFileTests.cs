using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using Kfac.Data;
using NUnit.Framework;

namespace Kfac.Tests.Data;

public class IdxFileTests
{
    private static byte[] Gzip(byte[] raw)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return output.ToArray();
    }

    /// <summary>A 3x2x2 ubyte file written by hand: 00 00 08 03, sizes, 12 pixels.</summary>
    private static byte[] HandWrittenUbyte() =>
        [0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255];

    private static InvalidDataException ReadFails(byte[] bytes, string name = "bad.idx")
    {
        using var dir = new TempDirectory();
        string path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path))!;
        Assert.That(e.Message, Does.Contain(path), "the message names the file");
        return e;
    }

    [Test]
    public void ReadsHandWrittenUbyteFile()
    {
        var file = IdxFile.Read(new MemoryStream(HandWrittenUbyte()), "hand");
        Assert.That(file.ElementType, Is.EqualTo(IdxElementType.UInt8));
        Assert.That(file.Dimensions, Is.EqualTo(new[] { 3, 2, 2 }));
        Assert.That(file.Count, Is.EqualTo(3));
        Assert.That(file.GetData<byte>(), Is.EqualTo(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255 }));
    }

    [Test]
    public void MultiByteElementsAreBigEndianInTheFile()
    {
        // int16 [2]: 0x0102 = 258 and 0xFFFE = -2; float32 [1]: 0x3FC00000 = 1.5.
        var shorts = IdxFile.Read(new MemoryStream([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]), "int16");
        Assert.That(shorts.GetData<short>(), Is.EqualTo(new short[] { 258, -2 }));
        var floats = IdxFile.Read(new MemoryStream([0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0]), "float32");
        Assert.That(floats.GetData<float>(), Is.EqualTo(new[] { 1.5f }));

        var written = new MemoryStream();
        IdxFile.FromArray(new short[] { 258, -2 }, 2).Write(written, gzip: false);
        Assert.That(written.ToArray(), Is.EqualTo(new byte[] { 0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void RoundTripsEveryElementTypeThroughAFile(bool gzip)
    {
        using var dir = new TempDirectory();
        var rng = new Random(5);
        var files = new IdxFile[]
        {
            IdxFile.FromArray(Enumerable.Range(0, 24).Select(_ => (byte)rng.Next(256)).ToArray(), 2, 3, 4),
            IdxFile.FromArray(Enumerable.Range(0, 6).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray(), 6),
            IdxFile.FromArray(Enumerable.Range(0, 6).Select(_ => (short)rng.Next(short.MinValue, short.MaxValue)).ToArray(), 3, 2),
            IdxFile.FromArray(Enumerable.Range(0, 5).Select(_ => rng.Next(int.MinValue, int.MaxValue)).ToArray(), 5, 1),
            IdxFile.FromArray(Enumerable.Range(0, 4).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), 1, 4),
            IdxFile.FromArray(new[] { double.Epsilon, -0.0, double.MaxValue, Math.PI }, 2, 1, 2),
        };
        foreach (var original in files)
        {
            string path = dir.File($"{original.ElementType}.idx");
            var before = (Array)original.Data.Clone();
            original.Write(path, gzip);
            Assert.That(original.Data, Is.EqualTo(before), "writing must not byte-swap the caller's data");
            var back = IdxFile.Read(path);
            Assert.That(back.ElementType, Is.EqualTo(original.ElementType));
            Assert.That(back.Dimensions, Is.EqualTo(original.Dimensions));
            Assert.That(back.Data, Is.EqualTo(original.Data), original.ElementType.ToString());
        }
    }

    [FsCheck.NUnit.Property(MaxTest = 50)]
    public Property UbyteRoundTripForAnyDimensions(PositiveInt a, PositiveInt b, bool gzip)
    {
        int rows = 1 + a.Get % 7, cols = 1 + b.Get % 5;
        var data = Enumerable.Range(0, rows * cols).Select(i => (byte)(i * 37 + rows)).ToArray();
        var stream = new MemoryStream();
        IdxFile.FromArray(data, rows, cols).Write(stream, gzip);
        stream.Position = 0;
        var back = IdxFile.Read(stream, "memory");
        return (back.Dimensions.SequenceEqual([rows, cols]) && back.GetData<byte>().SequenceEqual(data)).ToProperty();
    }

    [Test]
    public void CompressionIsDetectedFromTheContentsNotTheName()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("compressed-but-named.idx"), Gzip(HandWrittenUbyte()));
        File.WriteAllBytes(dir.File("plain-but-named.gz"), HandWrittenUbyte());
        Assert.That(IdxFile.Read(dir.File("compressed-but-named.idx")).Dimensions, Is.EqualTo(new[] { 3, 2, 2 }));
        Assert.That(IdxFile.Read(dir.File("plain-but-named.gz")).Dimensions, Is.EqualTo(new[] { 3, 2, 2 }));
    }

    [Test]
    public void TruncatedPayloadSaysHowMuchWasExpectedAndFound()
    {
        var bytes = HandWrittenUbyte()[..(16 + 5)];
        Assert.That(ReadFails(bytes).Message, Does.Contain("truncated: header says 3x2x2 = 12 bytes, file has 5 after the header"));
        Assert.That(ReadFails(Gzip(bytes), "bad.gz").Message, Does.Contain("file has 5 after the header"));
    }

    [Test]
    public void TruncatedHeaderIsReported()
    {
        Assert.That(ReadFails([0, 0, 8]).Message, Does.Contain("shorter than the 4-byte magic"));
        Assert.That(ReadFails([0, 0, 8, 3, 0, 0, 0, 3, 0, 0]).Message, Does.Contain("truncated header: 3 dimensions need 12 bytes"));
    }

    [Test]
    public void WrongMagicIsReported()
    {
        var bytes = HandWrittenUbyte();
        bytes[0] = 0x50; // e.g. a PNG or text file
        Assert.That(ReadFails(bytes).Message, Does.Contain("bad magic number 50000803"));
    }

    [Test]
    public void UnknownTypeCodeIsReported()
    {
        var bytes = HandWrittenUbyte();
        bytes[2] = 0x0A;
        Assert.That(ReadFails(bytes).Message, Does.Contain("unknown element type code 0x0A"));
    }

    [Test]
    public void ZeroDimensionsAreRejected()
    {
        Assert.That(ReadFails([0, 0, 8, 0, 1, 2]).Message, Does.Contain("0 dimensions"));
    }

    [Test]
    public void DimensionsThatDoNotCoverThePayloadAreRejected()
    {
        var bytes = HandWrittenUbyte();
        bytes[7] = 2; // header now says 2x2x2 = 8 bytes; the file has 12
        Assert.That(ReadFails(bytes).Message, Does.Contain("header says 2x2x2 = 8 bytes, but the file has 4 more bytes"));
    }

    [Test]
    public void CorruptGzipStreamNamesTheFile()
    {
        var gz = Gzip(Enumerable.Range(0, 4000).Select(i => (byte)(i % 251)).Prepend((byte)0).ToArray());
        // Keep the 10-byte gzip header (so it is detected as gzip) and scramble the deflate data.
        for (int i = 10; i < gz.Length - 8; i++) gz[i] = (byte)(gz[i] ^ 0xA5);
        var e = ReadFails(gz, "corrupt.gz");
        Assert.That(e.Message, Does.Contain("corrupt gzip data"));
        Assert.That(e.InnerException, Is.InstanceOf<InvalidDataException>());
    }

    [Test]
    public void MissingFileNamesThePath()
    {
        var e = Assert.Throws<FileNotFoundException>(() => IdxFile.Read("/no/such/dir/x-idx3-ubyte.gz"))!;
        Assert.That(e.Message, Does.Contain("/no/such/dir/x-idx3-ubyte.gz"));
    }

    [Test]
    public void GetDataOfTheWrongTypeSaysWhatTheFileHolds()
    {
        var file = IdxFile.FromArray(new byte[] { 1, 2 }, 2);
        var e = Assert.Throws<InvalidOperationException>(() => file.GetData<float>())!;
        Assert.That(e.Message, Does.Contain("UInt8").And.Contain("Single"));
    }

    [Test]
    public void FromArrayChecksTheElementCount()
    {
        var e = Assert.Throws<ArgumentException>(() => IdxFile.FromArray(new byte[5], 2, 3))!;
        Assert.That(e.Message, Does.Contain("5 elements").And.Contain("2x3 need 6"));
    }
}
