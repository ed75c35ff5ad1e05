using System.Globalization;

namespace TokenAccounting.Tests.Pipeline;

public sealed class IdGeneratorTests
{
    [Fact]
    public void Next_ConsecutiveIds_ShareTheirPrefixAndCountInTwelveLowercaseHexDigits()
    {
        var generator = new IdGenerator();

        var ids = Enumerable.Range(0, 300).Select(_ => generator.Next()).ToArray();

        ids.ShouldAllBe(id => id.Length == 32);
        ids.Select(id => id[..20]).Distinct().ShouldHaveSingleItem().ShouldMatch("^[0-9a-f]{20}$");
        ids.Select(id => long.Parse(id[20..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ShouldBe(Enumerable.Range(1, 300).Select(i => (long)i));
        ids[254][20..].ShouldBe("0000000000ff");
    }

    [Fact]
    public void Next_TwoGenerators_DifferInTheirPrefix()
    {
        new IdGenerator().Next()[..20].ShouldNotBe(new IdGenerator().Next()[..20]);
    }
}
