namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>A scripted budget gate: refuses with an exception, or admits with an optional output cap and remembers completions.</summary>
internal sealed class FakeGate : IUsageGate
{
    public Exception? Refuse { get; init; }

    public int? Cap { get; init; }

    public bool CompleteThrows { get; init; }

    public List<UsageGateRequest> Requests { get; } = [];

    public List<UsageRecord> Completed { get; } = [];

    public IUsageGateLease Admit(UsageGateRequest request)
    {
        Requests.Add(request);
        if (Refuse is { } refusal)
        {
            throw refusal;
        }

        return new Lease(this);
    }

    private sealed class Lease(FakeGate gate) : IUsageGateLease
    {
        public int? MaxOutputTokens => gate.Cap;

        public UsageRecord Complete(UsageRecord record)
        {
            gate.Completed.Add(record);
            if (gate.CompleteThrows)
            {
                throw new InvalidOperationException("budget store is down");
            }

            // Marks what it returns, so tests can see that the completed record is the one written.
            return record with { DegradedReason = record.DegradedReason ?? "gate_completed" };
        }
    }
}

/// <summary>Stands for the budget helper's exception, which is not available to this package yet.</summary>
internal sealed class FakeBudgetExceededException(string message) : Exception(message);
