using Microsoft.Extensions.Options;

namespace TokenAccounting.PostgreSql;

/// <summary>Validates <see cref="PostgreSqlLedgerOptions"/> at startup with the same rules as the ledger's constructor.</summary>
internal sealed class PostgreSqlLedgerOptionsValidation : IValidateOptions<PostgreSqlLedgerOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlLedgerOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
