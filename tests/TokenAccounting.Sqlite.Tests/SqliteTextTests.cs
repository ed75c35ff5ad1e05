using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite.Tests;

public sealed class SqliteTextTests
{
    [Theory]
    [InlineData("'0.1', '0.2'", "0.3")]
    [InlineData("'0.00000015', '0.00064'", "0.00064015")]
    [InlineData("'1.50', '0'", "1.50")]
    [InlineData("NULL, '1.50'", "1.50")]
    [InlineData("'2', NULL", "2")]
    [InlineData("3, '0.25'", "3.25")]
    [InlineData("'79228162514264337593543950334', '1'", "79228162514264337593543950335")]
    public void DecimalAdd_TextNumbersAndNulls_AddsExactly(string arguments, string expected)
    {
        Scalar($"SELECT ta_decimal_add({arguments})").ShouldBe(expected);
    }

    [Fact]
    public void DecimalAdd_BothNull_IsNull()
    {
        Scalar("SELECT ta_decimal_add(NULL, NULL) IS NULL").ShouldBe(1L);
    }

    // Overflow used to fail the statement too; issue 12 §2 makes it saturate (DecimalAdd_Overflow_SaturatesAtDecimalMaxValue).
    [Theory]
    [InlineData("'abc', '1'")]
    public void DecimalAdd_NotADecimal_FailsTheStatementNamingTheFunction(string arguments)
    {
        var error = Should.Throw<SqliteException>(() => Scalar($"SELECT ta_decimal_add({arguments})"));
        error.Message.ShouldContain("ta_decimal_add");
    }

    [Theory]
    [InlineData("'79228162514264337593543950335', '1'")]
    [InlineData("'79228162514264337593543950335', '0.5'")]
    [InlineData("'39614081257132168796771975168', '39614081257132168796771975168'")]
    public void DecimalAdd_Overflow_SaturatesAtDecimalMaxValue(string arguments) =>
        Scalar($"SELECT ta_decimal_add({arguments})").ShouldBe("79228162514264337593543950335");

    [Fact]
    public void DecimalSum_Overflow_SaturatesAtDecimalMaxValue() =>
        Scalar("SELECT ta_decimal_sum(x) FROM (SELECT '79228162514264337593543950335' AS x UNION ALL SELECT '1' UNION ALL SELECT '2')")
            .ShouldBe("79228162514264337593543950335");

    [Fact]
    public void DecimalSum_TextDecimals_SumsExactly()
    {
        Scalar("SELECT ta_decimal_sum(x) FROM (SELECT '0.1' AS x UNION ALL SELECT '0.2' UNION ALL SELECT NULL)").ShouldBe("0.3");
    }

    [Fact]
    public void DecimalSums_SeveralColumns_SumsEachApartSkippingNull()
    {
        var text = (string)Scalar("SELECT ta_decimal_sums(a, b, c) FROM (SELECT '0.1' AS a, NULL AS b, '0' AS c UNION ALL SELECT '0.2', '1.50', '0' UNION ALL SELECT NULL, '2', '7')")!;

        text.ShouldBe("0.3 3.50 7");
        Span<decimal> sums = stackalloc decimal[3];
        SqliteText.ParseSums(text, sums);
        sums.ToArray().ShouldBe([0.3m, 3.50m, 7m]);
    }

    [Fact]
    public void DecimalSums_NoRows_IsNull() =>
        Scalar("SELECT ta_decimal_sums(x, x) IS NULL FROM (SELECT '1' AS x) WHERE 0").ShouldBe(1L);

    [Fact]
    public void DecimalSums_Overflow_SaturatesOnlyThatPart() =>
        Scalar("SELECT ta_decimal_sums(x, y) FROM (SELECT '79228162514264337593543950335' AS x, '1' AS y UNION ALL SELECT '5', '2')")
            .ShouldBe("79228162514264337593543950335 3");

    [Fact]
    public void ParseSums_FewerPartsThanExpected_ThrowsFormatException() =>
        Should.Throw<FormatException>(() => SqliteText.ParseSums("1 2", new decimal[3]));

    private static object? Scalar(string sql)
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        SqliteText.RegisterFunctions(connection);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
