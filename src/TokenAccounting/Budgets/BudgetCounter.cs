namespace TokenAccounting;

/// <summary>
/// Identifies one budget counter and the moment an operation on it happens. A store maps it to a window:
/// for fixed windows the row <c>(PolicyName, SubjectKey, Window.GetStart(At))</c>; for a rolling window the
/// amounts recorded in <c>(At − Window.Duration, At]</c>.
/// </summary>
/// <param name="PolicyName">The policy's name.</param>
/// <param name="SubjectKey">The dimension value (empty for global policies).</param>
/// <param name="Window">The policy's window.</param>
/// <param name="At">The moment of the operation; adjustments of a reservation carry the reservation's moment, so they land in its window.</param>
public readonly record struct BudgetCounter(string PolicyName, string SubjectKey, BudgetWindow Window, DateTimeOffset At);
