namespace TokenAccounting;

/// <summary>The usage of one (operation, model) pair within <see cref="UsageTotals"/>.</summary>
/// <param name="Operation">The kind of call.</param>
/// <param name="Model">The requested model.</param>
/// <param name="Tokens">The summed tokens.</param>
/// <param name="RequestCount">The number of records.</param>
/// <param name="Cost">
/// The summed cost of the priced records (filled in by the pipeline shortly after recording); null when none has been
/// priced. A record priced at zero is priced.
/// </param>
/// <param name="UnpricedRequestCount">
/// How many of the records the pipeline found no price for (their cost is not in <paramref name="Cost"/>). Also filled
/// in shortly after recording, so a record just recorded can be in neither yet.
/// </param>
public sealed record UsageTotalsEntry(UsageOperation Operation, string Model, TokenCounts Tokens, long RequestCount, UsageCost? Cost, long UnpricedRequestCount);
