using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>
/// What <see cref="UsageAccountant"/> reads from the options of either middleware: the settings of accounting itself,
/// as opposed to what describes a request (the attribution resolver, whose signature is the interface's own).
/// </summary>
internal interface IAccountingOptions
{
    string? ProviderName { get; }

    UsageEstimator Estimator { get; }

    TimeProvider TimeProvider { get; }

    ILogger? Logger { get; }

    BudgetManager? Budgets { get; }

    IPriceCatalog? PriceCatalog { get; }

    /// <summary>Gets the output tokens a budget reserves for a call without an output cap (embeddings: none).</summary>
    int DefaultOutputTokenEstimate { get; }

    /// <summary>Gets whether the budget gate may lower the call's output cap (embeddings: never).</summary>
    bool CapOutputTokensToBudget { get; }

    /// <summary>Gets a gate set by tests, which wins over <see cref="Budgets"/>.</summary>
    IUsageGate? Gate { get; }
}
