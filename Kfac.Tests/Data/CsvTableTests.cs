using Kfac.Data;
using Kfac.Tensors;
using NUnit.Framework;

namespace Kfac.Tests.Data;

public class CsvTableTests
{
    private static CsvTable Parse(string text, bool hasHeader = true, char separator = ',', int skipLines = 0) =>
        CsvTable.Read(new StringReader(text), hasHeader, separator, skipLines, "test.csv");

    private static string ErrorOf(string text, bool hasHeader = true, int skipLines = 0) =>
        Assert.Throws<InvalidDataException>(() => Parse(text, hasHeader, skipLines: skipLines))!.Message;

    [Test]
    public void ReadsHeaderAndRowMajorValues()
    {
        var t = Parse("a, b ,c\n1,2,3\n4.5,-6e-1, 7\n");
        Assert.That(t.ColumnNames, Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(t.RowCount, Is.EqualTo(2));
        Assert.That(t.Values.ToArray(), Is.EqualTo(new[] { 1, 2, 3, 4.5, -0.6, 7 }));
        Assert.That(t[1, 1], Is.EqualTo(-0.6));
        Assert.That(t.Column("c"), Is.EqualTo(new[] { 3.0, 7.0 }));
        Assert.That(t.ToMatrix()[1, 0], Is.EqualTo(4.5));
    }

    [Test]
    public void SkipsLeadingLinesLikeScikitLearnsCountLine()
    {
        // The first lines of scikit-learn's boston_house_prices.csv (abridged to three columns).
        var t = Parse("506,13\r\nCRIM,ZN,MEDV\r\n0.00632,18,24\r\n0.02731,0,21.6\r\n", skipLines: 1);
        Assert.That(t.ColumnNames, Is.EqualTo(new[] { "CRIM", "ZN", "MEDV" }));
        Assert.That(t.Column("MEDV"), Is.EqualTo(new[] { 24, 21.6 }));
    }

    [Test]
    public void WithoutHeaderColumnsAreNumbered()
    {
        var t = Parse("1;2\n3;4", hasHeader: false, separator: ';');
        Assert.That(t.ColumnNames, Is.EqualTo(new[] { "column0", "column1" }));
        Assert.That(t.RowCount, Is.EqualTo(2));
    }

    [Test]
    public void QuotedFieldsAndBlankLines()
    {
        var t = Parse("\"x, the first\",\"say \"\"y\"\"\"\n\n\"1\",2\n\n");
        Assert.That(t.ColumnNames, Is.EqualTo(new[] { "x, the first", "say \"y\"" }));
        Assert.That(t.Values.ToArray(), Is.EqualTo(new[] { 1.0, 2.0 }));
    }

    [Test]
    public void HeaderOnlyGivesAnEmptyTable()
    {
        var t = Parse("a,b\n");
        Assert.That(t.RowCount, Is.EqualTo(0));
        Assert.That(t.ColumnCount, Is.EqualTo(2));
    }

    [Test]
    public void BadNumberNamesLineColumnAndValue()
    {
        string message = ErrorOf("skip me\nCRIM,ZN\n1,2\n3,abc\n", skipLines: 1);
        Assert.That(message, Does.Contain("test.csv' line 4, column 2 ('ZN'): 'abc' is not a number"));
    }

    [Test]
    public void EmptyFieldIsNotANumber()
    {
        Assert.That(ErrorOf("a,b\n1,\n"), Does.Contain("line 2, column 2 ('b'): '' is not a number"));
    }

    [Test]
    public void RaggedRowNamesTheLineAndTheExpectedCount()
    {
        Assert.That(ErrorOf("a,b,c\n1,2,3\n\n4,5\n"), Does.Contain("line 4: 2 fields, expected 3 (as in the header on line 1)"));
        Assert.That(ErrorOf("1,2\n1,2,3\n", hasHeader: false), Does.Contain("line 2: 3 fields, expected 2 (as on line 1, the first row)"));
    }

    [Test]
    public void UnterminatedQuoteIsReported()
    {
        Assert.That(ErrorOf("a\n\"1\n"), Does.Contain("line 2, column 1: unterminated quoted field"));
    }

    [Test]
    public void SkippingPastTheEndIsReported()
    {
        Assert.That(ErrorOf("1,2\n", skipLines: 3), Does.Contain("asked to skip 3 lines but it has only 1"));
        Assert.That(ErrorOf("", hasHeader: true), Does.Contain("no header"));
    }

    [Test]
    public void UnknownColumnListsTheColumns()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => Parse("a,b\n1,2").Column("c"))!;
        Assert.That(e.Message, Does.Contain("no column 'c'; columns: a, b"));
    }

    [Test]
    public void ReadsAFileAndSelectsColumnsAsATensor()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("t.csv"), "2,3\nx,y,target\n1,2,10\n3,4,20\n");
        var t = CsvTable.Read(dir.File("t.csv"), skipLines: 1);
        Assert.That(t.Source, Is.EqualTo(dir.File("t.csv")));
        var features = t.ToTensor(DType.Float64, "x", "y");
        Assert.That(features.Shape, Is.EqualTo(new Shape(2, 2)));
        Assert.That(features.ToArray<double>(), Is.EqualTo(new[] { 1.0, 2, 3, 4 }));
        Assert.That(t.ToTensor().Shape, Is.EqualTo(new Shape(2, 3)));
        var e = Assert.Throws<InvalidDataException>(() => CsvTable.Read(dir.File("t.csv")))!;
        Assert.That(e.Message, Does.Contain(dir.File("t.csv")).And.Contain("line 2: 3 fields, expected 2"));
    }
}
