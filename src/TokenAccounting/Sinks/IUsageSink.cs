namespace TokenAccounting;

/// <summary>
/// A destination for usage: receives batches of detail records and exact rollup deltas from the delivery
/// pipeline. Implementations may throw; the pipeline retries the same batch (same <see cref="UsageBatch.BatchId"/>)
/// with backoff, so a sink that remembers applied batch ids is exactly-once.
/// </summary>
public interface IUsageSink
{
    /// <summary>Writes one batch. Complete only when the batch is durable in the sink.</summary>
    /// <param name="batch">The batch; the same id is offered again if this call fails or times out.</param>
    /// <param name="cancellationToken">Cancelled when the sink exceeds its time limit or the pipeline shuts down.</param>
    ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken);
}
