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

    [Theory]
    [InlineData("'abc', '1'")]
    [InlineData("'79228162514264337593543950335', '1'")]
    public void DecimalAdd_NotADecimalOrOverflow_FailsTheStatementNamingTheFunction(string arguments)
    {
        var error = Should.Throw<SqliteException>(() => Scalar($"SELECT ta_decimal_add({arguments})"));
        error.Message.ShouldContain("ta_decimal_add");
    }

    [Fact]
    public void DecimalSum_TextDecimals_SumsExactly()
    {
        Scalar("SELECT ta_decimal_sum(x) FROM (SELECT '0.1' AS x UNION ALL SELECT '0.2' UNION ALL SELECT NULL)").ShouldBe("0.3");
    }

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
