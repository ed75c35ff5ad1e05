namespace TokenAccounting;

/// <summary>The usage of one (operation, model) pair within <see cref="UsageTotals"/>.</summary>
/// <param name="Operation">The kind of call.</param>
/// <param name="Model">The requested model.</param>
/// <param name="Tokens">The summed tokens.</param>
/// <param name="RequestCount">The number of records.</param>
/// <param name="Cost">The summed cost of the priced records (filled in by the pipeline shortly after recording), or null.</param>
public sealed record UsageTotalsEntry(UsageOperation Operation, string Model, TokenCounts Tokens, long RequestCount, UsageCost? Cost);
