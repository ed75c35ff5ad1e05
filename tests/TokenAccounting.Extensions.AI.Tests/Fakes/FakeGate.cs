namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>A scripted budget gate: refuses with an exception, or admits with an optional output cap and remembers completions.</summary>
internal sealed class FakeGate : IUsageGate
{
    public Exception? Refuse { get; init; }

    public int? Cap { get; init; }

    public bool CompleteThrows { get; init; }

    public List<UsageGateRequest> Requests { get; } = [];

    public List<UsageRecord> Completed { get; } = [];

    public List<bool> Billable { get; } = [];

    public ValueTask<IUsageGateLease> AdmitAsync(UsageGateRequest request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        if (Refuse is { } refusal)
        {
            throw refusal;
        }

        return ValueTask.FromResult<IUsageGateLease>(new Lease(this));
    }

    private sealed class Lease(FakeGate gate) : IUsageGateLease
    {
        public int? MaxOutputTokens => gate.Cap;

        public ValueTask<UsageRecord> CompleteAsync(UsageRecord record, bool billable, CancellationToken cancellationToken)
        {
            gate.Completed.Add(record);
            gate.Billable.Add(billable);
            if (gate.CompleteThrows)
            {
                throw new InvalidOperationException("budget store is down");
            }

            // Marks what it returns, so tests can see that the completed record is the one written.
            return ValueTask.FromResult(record with { DegradedReason = record.DegradedReason ?? "gate_completed" });
        }
    }
}

/// <summary>Stands for the budget helper's exception, which is not available to this package yet.</summary>
internal sealed class FakeBudgetExceededException(string message) : Exception(message);
