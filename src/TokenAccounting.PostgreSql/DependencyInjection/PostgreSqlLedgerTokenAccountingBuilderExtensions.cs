using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using TokenAccounting;
using TokenAccounting.PostgreSql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL ledger and the PostgreSQL budget store on the TokenAccounting builder.</summary>
public static class PostgreSqlLedgerTokenAccountingBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="PostgreSqlUsageLedger"/> as a singleton, as an <see cref="IUsageSink"/> (beside any other
    /// sinks), unless another ledger registered first as the <see cref="IUsageQuery"/>. Calling it again only adds
    /// configuration. For budgets shared by every instance, add <see cref="AddPostgreSqlBudgetStore"/>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenAccounting()</c>.</param>
    /// <param name="configure">
    /// Sets the options. With <see cref="PostgreSqlLedgerOptions.ConnectionString"/> the ledger owns its data source;
    /// without it, an <see cref="NpgsqlDataSource"/> registered in the container is used.
    /// </param>
    /// <returns>The builder, for chaining.</returns>
    public static ITokenAccountingBuilder AddPostgreSqlLedger(this ITokenAccountingBuilder builder, Action<PostgreSqlLedgerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<PostgreSqlLedgerOptions>().Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(PostgreSqlUsageLedger)))
        {
            return builder;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlLedgerOptions>, PostgreSqlLedgerOptionsValidation>());
        services.AddOptions<PostgreSqlLedgerOptions>().ValidateOnStart();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PostgreSqlLedgerOptions>>().Value;
            var timeProvider = sp.GetService<TimeProvider>();
            if (options.ConnectionString is not null)
            {
                return new PostgreSqlUsageLedger(options, timeProvider);
            }

            var dataSource = sp.GetService<NpgsqlDataSource>()
                ?? throw new InvalidOperationException("AddPostgreSqlLedger needs PostgreSqlLedgerOptions.ConnectionString or an NpgsqlDataSource registered in the container.");
            return new PostgreSqlUsageLedger(dataSource, options, timeProvider);
        });
        services.AddSingleton<IUsageSink>(sp => sp.GetRequiredService<PostgreSqlUsageLedger>());
        services.TryAddSingleton<IUsageQuery>(sp => sp.GetRequiredService<PostgreSqlUsageLedger>());
        return builder;
    }

    /// <summary>
    /// Keeps budget counters in PostgreSQL so that every app instance enforces one budget and a restart keeps the
    /// current window's usage: registers a <see cref="PostgreSqlBudgetStore"/> as a singleton and as the
    /// <see cref="IBudgetStore"/> that <c>AddBudgets(...)</c>'s <see cref="BudgetManager"/> uses. Call it before or after
    /// <c>AddBudgets(...)</c>: it takes the place of the default <see cref="InMemoryBudgetStore"/> that <c>AddBudgets</c>
    /// registers, but leaves any other <see cref="IBudgetStore"/> registered before it. Calling it again changes nothing.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenAccounting()</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The store uses the data source of the <see cref="PostgreSqlUsageLedger"/> when <c>AddPostgreSqlLedger(...)</c> is
    /// registered, and otherwise an <see cref="NpgsqlDataSource"/> registered in the container.
    /// </remarks>
    public static ITokenAccountingBuilder AddPostgreSqlBudgetStore(this ITokenAccountingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton(static sp =>
        {
            var dataSource = sp.GetService<PostgreSqlUsageLedger>()?.DataSource
                ?? sp.GetService<NpgsqlDataSource>()
                ?? throw new InvalidOperationException("AddPostgreSqlBudgetStore needs AddPostgreSqlLedger(...) or an NpgsqlDataSource registered in the container.");
            return new PostgreSqlBudgetStore(dataSource, sp.GetService<TimeProvider>());
        });

        // The in-memory default only stands in until a shared store is chosen: replace it whichever call came first.
        var inMemoryDefault = services.FirstOrDefault(d => d.ServiceType == typeof(IBudgetStore) && d.ImplementationType == typeof(InMemoryBudgetStore));
        if (inMemoryDefault is not null)
        {
            services.Remove(inMemoryDefault);
        }

        services.TryAddSingleton<IBudgetStore>(static sp => sp.GetRequiredService<PostgreSqlBudgetStore>());
        return builder;
    }
}
