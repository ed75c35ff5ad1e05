using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TokenAccounting;
using TokenAccounting.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite ledger on the TokenAccounting builder.</summary>
public static class SqliteLedgerTokenAccountingBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="SqliteUsageLedger"/> as a singleton, as an <see cref="IUsageSink"/> (beside any other sinks)
    /// and, unless another ledger registered first, as the <see cref="IUsageQuery"/>. Calling it again only adds
    /// configuration; the ledger is registered once.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenAccounting()</c>.</param>
    /// <param name="configure">Sets the options; <see cref="SqliteLedgerOptions.ConnectionString"/> is required.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITokenAccountingBuilder AddSqliteLedger(this ITokenAccountingBuilder builder, Action<SqliteLedgerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<SqliteLedgerOptions>().Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(SqliteUsageLedger)))
        {
            return builder;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteLedgerOptions>, SqliteLedgerOptionsValidation>());
        services.AddOptions<SqliteLedgerOptions>().ValidateOnStart();
        services.TryAddSingleton(sp => new SqliteUsageLedger(
            sp.GetRequiredService<IOptions<SqliteLedgerOptions>>().Value,
            sp.GetService<TimeProvider>()));
        services.AddSingleton<IUsageSink>(sp => sp.GetRequiredService<SqliteUsageLedger>());
        services.TryAddSingleton<IUsageQuery>(sp => sp.GetRequiredService<SqliteUsageLedger>());
        return builder;
    }
}
