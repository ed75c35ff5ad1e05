namespace TokenAccounting;

/// <summary>
/// The budget gate: reserves an estimate with <see cref="BudgetManager"/> before the call (a denial throws
/// <see cref="BudgetExceededException"/> before anything reaches the inner client), commits the actual usage after,
/// releases when the call consumed nothing.
/// </summary>
internal sealed class BudgetUsageGate(BudgetManager budgets, IPriceCatalog? catalog, TimeProvider time, int defaultOutputTokens, bool capOutputTokens) : IUsageGate
{
    public IUsageGateLease Admit(UsageGateRequest request)
    {
        var subject = Subject(request.Attribution);
        var output = (long)(request.MaxOutputTokens ?? defaultOutputTokens);
        int? cap = null;
        if (capOutputTokens && Allowed(subject) is { } remaining && remaining - request.EstimatedInputTokens is var allowed && allowed > 0 && allowed < output)
        {
            // Reserve (and allow) only the output the hard token budgets still have room for.
            output = allowed;
            cap = (int)Math.Min(int.MaxValue, allowed);
        }

        var estimate = new TokenCounts(request.EstimatedInputTokens, output);
        var cost = Price(request.Provider, request.Model, estimate, request.Attribution?.ServiceTier)?.Total ?? 0m;
        var reservation = budgets.Reserve(new BudgetAmount(estimate.Total, cost), subject);
        return new Lease(this, reservation, cap);
    }

    private static BudgetSubject Subject(UsageAttribution? attribution)
    {
        // What the record will carry: the resolver's values win over the enclosing scope's, as in the recorder.
        var scope = BudgetSubject.FromCurrentScope();
        if (attribution is null)
        {
            return scope;
        }

        var tags = scope.Tags;
        if (attribution.Tags is { Count: > 0 } own)
        {
            var merged = tags is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(tags, StringComparer.Ordinal);
            foreach (var pair in own)
            {
                merged[pair.Key] = pair.Value;
            }

            tags = merged;
        }

        return scope with
        {
            UserId = attribution.UserId ?? scope.UserId,
            TenantId = attribution.TenantId ?? scope.TenantId,
            ApiKeyId = attribution.ApiKeyId ?? scope.ApiKeyId,
            Tags = tags,
        };
    }

    private UsageCost? Price(string? provider, string model, TokenCounts tokens, string? serviceTier) =>
        catalog?.FindPrice(provider, model, time.GetUtcNow())?.Cost(tokens, serviceTier);

    /// <summary>The tokens the tightest hard token budget of <paramref name="subject"/> still has room for, or null.</summary>
    private long? Allowed(BudgetSubject subject)
    {
        long? allowed = null;
        foreach (var policy in budgets.Policies)
        {
            if (policy.Unit != BudgetUnit.Tokens || policy.Enforcement != BudgetEnforcement.Hard || budgets.GetUsed(policy.Name, subject) is not { } used)
            {
                continue;
            }

            var remaining = (long)Math.Max(0m, policy.Limit - used);
            allowed = allowed is null ? remaining : Math.Min(allowed.Value, remaining);
        }

        return allowed;
    }

    private sealed class Lease(BudgetUsageGate gate, BudgetReservation reservation, int? maxOutputTokens) : IUsageGateLease
    {
        public int? MaxOutputTokens => maxOutputTokens;

        public UsageRecord Complete(UsageRecord record)
        {
            if (record.Outcome == UsageOutcome.Skipped || record.Tokens.IsZero)
            {
                reservation.Release();
                return record;
            }

            // Price now so a USD budget commits the actual cost; the pipeline keeps a cost the record already has.
            var priced = record.Cost is null && gate.Price(record.Provider, record.Model, record.Tokens, record.ServiceTier) is { } cost
                ? record with { Cost = cost }
                : record;
            return reservation.Commit(priced);
        }
    }
}
