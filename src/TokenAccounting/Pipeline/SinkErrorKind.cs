using System.Data.Common;
using System.Net.Sockets;
using System.Text;

namespace TokenAccounting;

/// <summary>How a failed sink write is handled.</summary>
internal enum SinkErrorKind
{
    /// <summary>The sink or its connection is at fault (down, busy, timed out, disk full): retry the same batch with backoff, never split.</summary>
    Transient,

    /// <summary>The data is at fault: split the batch until the bad records or rollup keys are isolated, and quarantine those.</summary>
    Permanent,

    /// <summary>Not known: retried like a transient error, but split once it repeats the same way <see cref="TokenAccountingOptions.SplitBatchAfterFailures"/> times.</summary>
    Unknown,
}

/// <summary>
/// Classifies what a sink threw. The built-in ledgers classify their own store's errors near the I/O (a data error
/// becomes <see cref="UsageSinkRejectedException"/>, a storage condition stays an I/O or database error marked transient);
/// this only reads what they and other sinks throw.
/// </summary>
internal static class SinkErrorClassifier
{
    public static SinkErrorKind Classify(Exception exception) => exception switch
    {
        UsageSinkRejectedException => SinkErrorKind.Permanent,
        OverflowException or EncoderFallbackException or DecoderFallbackException => SinkErrorKind.Permanent,
        TimeoutException or OperationCanceledException or IOException or SocketException => SinkErrorKind.Transient,
        DbException { IsTransient: true } => SinkErrorKind.Transient,
        AggregateException { InnerExceptions.Count: 1 } aggregate => Classify(aggregate.InnerExceptions[0]),
        _ => SinkErrorKind.Unknown,
    };

    /// <summary>Gets what makes two failures "the same way": the exception type (messages carry ids and vary).</summary>
    public static string Signature(Exception exception) => exception.GetType().FullName ?? exception.GetType().Name;

    /// <summary>Gets the metric's <c>error.type</c> of a failure: <c>timeout</c>, <c>rejected</c> (a data error) or <c>exception</c>.</summary>
    public static string ErrorType(Exception exception, SinkErrorKind kind) => exception switch
    {
        TimeoutException or OperationCanceledException => "timeout",
        _ => kind == SinkErrorKind.Permanent ? "rejected" : "exception",
    };
}
