namespace TokenAccounting;

/// <summary>
/// The budget gate: reserves an estimate with <see cref="BudgetManager"/> before the call (a denial throws
/// <see cref="BudgetExceededException"/> before anything reaches the inner client; a store failure throws
/// <see cref="BudgetStoreException"/>, so the gate fails closed), commits the actual usage after, releases when the
/// provider cannot have billed the call. Every store call is awaited, never waited on.
/// </summary>
internal sealed class BudgetUsageGate(BudgetManager budgets, IPriceCatalog? catalog, TimeProvider time, int defaultOutputTokens, bool capOutputTokens) : IUsageGate
{
    public async ValueTask<IUsageGateLease> AdmitAsync(UsageGateRequest request, CancellationToken cancellationToken)
    {
        var subject = Subject(request.Attribution);
        var output = (long)(request.MaxOutputTokens ?? defaultOutputTokens);
        int? cap = null;
        if (capOutputTokens && await AllowedAsync(subject, cancellationToken).ConfigureAwait(false) is { } remaining
            && remaining - request.EstimatedInputTokens is var allowed && allowed > 0 && allowed < output)
        {
            // Reserve (and allow) only the output the hard token budgets still have room for.
            output = allowed;
            cap = (int)Math.Min(int.MaxValue, allowed);
        }

        var estimate = new TokenCounts(request.EstimatedInputTokens, output);
        var cost = Price(request.Provider, request.Model, estimate, null, request.Attribution?.ServiceTier)?.Total ?? 0m;
        var total = estimate.Input > long.MaxValue - estimate.Output ? long.MaxValue : estimate.Input + estimate.Output;
        var reservation = await budgets.ReserveAsync(new BudgetAmount(total, cost), subject, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Prices as the pipeline does: the catalog's price at <paramref name="at"/> (now when null), its time windows included.</summary>
    private UsageCost? Price(string? provider, string model, TokenCounts tokens, IReadOnlyDictionary<string, long>? serverToolCalls, string? serviceTier, DateTimeOffset? at = null)
    {
        if (catalog is null)
        {
            return null;
        }

        var moment = at ?? time.GetUtcNow();
        return catalog.FindPrice(provider, model, moment)?.Cost(tokens, serverToolCalls, serviceTier, moment);
    }

    /// <summary>The tokens the tightest hard token budget of <paramref name="subject"/> still has room for, or null.</summary>
    private async ValueTask<long?> AllowedAsync(BudgetSubject subject, CancellationToken cancellationToken)
    {
        long? allowed = null;
        foreach (var policy in budgets.Policies)
        {
            if (policy.Unit != BudgetUnit.Tokens || policy.Enforcement != BudgetEnforcement.Hard
                || await budgets.GetUsedAsync(policy.Name, subject, cancellationToken).ConfigureAwait(false) is not { } used)
            {
                continue;
            }

            var remaining = (long)Math.Max(0m, policy.Limit - used);
            allowed = allowed is null ? remaining : Math.Min(allowed.Value, remaining);
        }

        return allowed;
    }

    /// <summary>Marks a record as settled by its reservation, so the budgets' observer of recorded usage skips it.</summary>
    private static UsageRecord Tag(UsageRecord record, BudgetReservation reservation)
    {
        var tags = record.Tags is null ? new Dictionary<string, string>(1, StringComparer.Ordinal) : new Dictionary<string, string>(record.Tags, StringComparer.Ordinal);
        tags[BudgetManager.ReservationTagKey] = reservation.Id;
        return record with { Tags = tags };
    }

    private sealed class Lease(BudgetUsageGate gate, BudgetReservation reservation, int? maxOutputTokens) : IUsageGateLease
    {
        public int? MaxOutputTokens => maxOutputTokens;

        public async ValueTask<UsageRecord> CompleteAsync(UsageRecord record, bool billable, CancellationToken cancellationToken)
        {
            if (!billable || record.Outcome == UsageOutcome.Skipped || record.Tokens.IsZero)
            {
                // The provider billed nothing. Release; DisposeAsync never throws: a store failure is logged, counted
                // and retried in the background. A released record with an estimate must not be counted by the
                // observer of recorded usage either.
                await reservation.DisposeAsync().ConfigureAwait(false);
                return record.Tokens.IsZero ? record : Tag(record, reservation);
            }

            // Price now so a USD budget commits the actual cost (server tool calls included, at the served tier); the
            // pipeline keeps a cost the record already has.
            var priced = record.Cost is null && gate.Price(record.Provider, record.Model, record.Tokens, record.ServerToolCalls, record.ServiceTier, record.CompletedAt) is { } cost
                ? record with { Cost = cost }
                : record;
            try
            {
                return await reservation.CommitAsync(priced, cancellationToken).ConfigureAwait(false);
            }
            catch (BudgetStoreException)
            {
                // The reservation stays held with its commit pending: disposing it retries the commit, then hands it
                // to the manager's background retry (logged and counted there). The record is marked, since that
                // commit will count it.
                await reservation.DisposeAsync().ConfigureAwait(false);
                return Tag(priced, reservation);
            }
        }
    }
}
