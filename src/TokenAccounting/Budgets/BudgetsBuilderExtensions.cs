using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenAccounting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers budgets on the <see cref="ITokenAccountingBuilder"/>.</summary>
public static class BudgetsBuilderExtensions
{
    /// <summary>
    /// Enforces budget policies: registers <see cref="BudgetManager"/>, an <see cref="InMemoryBudgetStore"/> as
    /// <see cref="IBudgetStore"/> and <see cref="TimeProvider.System"/>, all with <c>TryAdd</c> (register your own
    /// store first to share budgets between instances). Records that pass through the pipeline are counted by the
    /// manager as documented on <see cref="BudgetManager"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Adds policies and sets options.</param>
    /// <returns>The builder.</returns>
    public static ITokenAccountingBuilder AddBudgets(this ITokenAccountingBuilder builder, Action<BudgetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<BudgetOptions>().Configure(configure);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<IBudgetStore, InMemoryBudgetStore>();
        builder.Services.TryAddSingleton(static sp => new BudgetManager(
            sp.GetRequiredService<IOptions<BudgetOptions>>(),
            sp.GetRequiredService<IBudgetStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<BudgetManager>>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IUsageObserver, BudgetManager>(static sp => sp.GetRequiredService<BudgetManager>()));
        return builder;
    }

    /// <summary>Enforces the given budget policies (see the other overload).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="policies">The policies.</param>
    /// <returns>The builder.</returns>
    public static ITokenAccountingBuilder AddBudgets(this ITokenAccountingBuilder builder, params BudgetPolicy[] policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        return builder.AddBudgets(options =>
        {
            foreach (var policy in policies)
            {
                options.Policies.Add(policy);
            }
        });
    }
}
