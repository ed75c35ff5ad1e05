namespace TokenAccounting.PostgreSql;

/// <summary>The outcome of <see cref="PostgreSqlBudgetCounter.TryReserveAsync"/>.</summary>
/// <param name="Succeeded">Whether the amount was admitted (and added to the window's usage).</param>
/// <param name="Used">The window's usage after the call (including the amount when it was admitted).</param>
/// <param name="Remaining">What is left under the limit: <c>max(limit − used, 0)</c>.</param>
internal readonly record struct PostgreSqlBudgetReservation(bool Succeeded, decimal Used, decimal Remaining);
