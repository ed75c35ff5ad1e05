namespace TokenAccounting;

/// <summary>Mapped counts plus which sides were reported (the rest is zero and may be estimated).</summary>
internal readonly record struct MappedUsage(TokenCounts Tokens, bool HasInput, bool HasOutput);
