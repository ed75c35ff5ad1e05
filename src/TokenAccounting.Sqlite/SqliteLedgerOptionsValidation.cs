using Microsoft.Extensions.Options;

namespace TokenAccounting.Sqlite;

/// <summary>Validates <see cref="SqliteLedgerOptions"/> at startup with the same rules as the ledger's constructor.</summary>
internal sealed class SqliteLedgerOptionsValidation : IValidateOptions<SqliteLedgerOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteLedgerOptions options)
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
