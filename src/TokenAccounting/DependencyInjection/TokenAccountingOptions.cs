using System.ComponentModel.DataAnnotations;

namespace TokenAccounting;

/// <summary>Options of the recorder and its delivery pipeline. Validated at startup; a bad value names the option.</summary>
public sealed class TokenAccountingOptions : IValidatableObject
{
    /// <summary>
    /// Gets or sets how often buffered records are flushed to each sink when fewer arrive than start a write by
    /// themselves (see <see cref="MaxBatchSize"/>): the longest a trickle of records waits for its sink.
    /// </summary>
    /// <value>The default value is 5 seconds. Between 1 ms and 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets the most detail records in one batch; a sink is flushed as soon as it has this many. A sink with
    /// no write in flight is flushed sooner, once 256 records (or <see cref="MaxBatchSize"/>, if smaller) are buffered
    /// for it (group commit): a steady stream is written a few hundred records at a time, so records do not wait
    /// long enough to be promoted by the garbage collector, while a slow sink, whose write is still in flight, gathers
    /// full batches. Fewer records wait for <see cref="FlushInterval"/> or <see cref="IUsageRecorder.FlushAsync"/>.
    /// </summary>
    /// <value>The default value is 1000. Between 1 and 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>
    /// Gets or sets the most detail records held for one sink (buffered plus in flight). Past it the oldest details are
    /// dropped and counted; rollups stay exact. Must be at least <see cref="MaxBatchSize"/>.
    /// </summary>
    /// <value>The default value is 100,000.</value>
    [Range(1, int.MaxValue)]
    public int MaxBufferedRecords { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets the capacity of the ingest queue between <see cref="IUsageRecorder.Record"/> and the background
    /// aggregator. When it is full, <c>Record()</c> still does not wait: it leaves the record on a lock-free overflow
    /// list that the aggregator rolls up exactly; only the detail is dropped (and counted).
    /// </summary>
    /// <value>The default value is 65,536; between 64 and 16,777,216. Split across one stripe per core (at most 16), each rounded up to a power of two.</value>
    [Range(64, 16_777_216)]
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>Gets or sets the time one sink write may take before it is cancelled and retried.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan SinkTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the first retry delay after a failed sink write; it doubles per attempt, with ±20% jitter.</summary>
    /// <value>The default value is 200 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets or sets the longest retry delay (before jitter).</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how many times in a row a batch may fail the same way (the same exception type, one the pipeline
    /// cannot classify as transient or permanent) before it is split to isolate the records or rollup keys that fail.
    /// Errors a sink reports as permanent (<see cref="UsageSinkRejectedException"/>, a data error of the built-in
    /// ledgers) split at once; transient ones (connection loss, timeouts, busy, disk full) are retried and never split.
    /// </summary>
    /// <value>The default value is 5. Between 1 and 1000.</value>
    [Range(1, 1000)]
    public int SplitBatchAfterFailures { get; set; } = 5;

    /// <summary>
    /// Gets or sets how many quarantined items (records or rollup deltas a sink could never write) are kept per sink for
    /// inspection through <see cref="UsageRecorder.GetQuarantine"/>; older ones are forgotten (all are counted).
    /// </summary>
    /// <value>The default value is 100. Between 0 and 100,000.</value>
    [Range(0, 100_000)]
    public int MaxQuarantinedPerSink { get; set; } = 100;

    /// <summary>
    /// Gets or sets how long <see cref="IUsageRecorder.FlushAsync"/> may take: waiting for the aggregator to hand on
    /// what was recorded before the call, and for every sink to acknowledge it (retrying failures). It returns when
    /// the time is up, whatever is stuck; undelivered records stay buffered and are retried in the background.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how long disposal (for example of the DI container) may take to flush what is pending. A recorder
    /// that is never disposed flushes the same way, within this time, when the process exits normally.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets whether <see cref="UsageRecord.Text"/> is kept. When false, text never reaches any sink, log or
    /// metric: the pipeline strips it before anything else sees the record.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool CaptureText { get; set; }

    /// <summary>Gets or sets how many request bytes count as one input token when usage must be estimated.</summary>
    /// <value>The default value is 4. Between 1 and 1000.</value>
    [Range(1, 1000)]
    public int BytesPerInputToken { get; set; } = 4;

    /// <summary>Gets or sets how many output tokens one streamed chunk counts as when usage must be estimated.</summary>
    /// <value>The default value is 1. Between 1 and 1000.</value>
    [Range(1, 1000)]
    public int TokensPerOutputChunk { get; set; } = 1;

    /// <summary>
    /// Gets or sets whether metrics carry user and tenant attributes. Off by default: every distinct user becomes a
    /// separate time series in your metrics backend.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool IncludeUserDimensionsInMetrics { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxBufferedRecords < MaxBatchSize)
        {
            yield return new ValidationResult(
                $"MaxBufferedRecords ({MaxBufferedRecords}) must be at least MaxBatchSize ({MaxBatchSize}).",
                [nameof(MaxBufferedRecords)]);
        }

        if (RetryMaxDelay < RetryBaseDelay)
        {
            yield return new ValidationResult(
                $"RetryMaxDelay ({RetryMaxDelay}) must be at least RetryBaseDelay ({RetryBaseDelay}).",
                [nameof(RetryMaxDelay)]);
        }
    }
}
