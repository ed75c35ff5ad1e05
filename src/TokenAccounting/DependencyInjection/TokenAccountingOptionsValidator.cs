using Microsoft.Extensions.Options;

namespace TokenAccounting;

/// <summary>Source-generated validation of <see cref="TokenAccountingOptions"/> (data annotations and cross-field rules).</summary>
[OptionsValidator]
internal sealed partial class TokenAccountingOptionsValidator : IValidateOptions<TokenAccountingOptions>
{
    /// <summary>Validates options outside DI and throws when they are invalid.</summary>
    internal static TokenAccountingOptions EnsureValid(TokenAccountingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new TokenAccountingOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TokenAccountingOptions), result.Failures);
        }

        return options;
    }
}
