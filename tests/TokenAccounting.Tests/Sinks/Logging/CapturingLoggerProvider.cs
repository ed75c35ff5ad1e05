using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TokenAccounting.Tests.Sinks.Logging;

/// <summary>One captured log event with its structured properties.</summary>
internal sealed record CapturedLog(
    string Category,
    LogLevel Level,
    EventId EventId,
    string Message,
    IReadOnlyList<KeyValuePair<string, object?>> Properties,
    Exception? Exception)
{
    public object? this[string name] => Properties.Single(p => p.Key == name).Value;
}

/// <summary>A hand-written logger provider that keeps every event at or above <see cref="MinimumLevel"/>.</summary>
/// <remarks>
/// Kept for the tests that assert the types of structured properties (the logging sink's tokens are numbers and its
/// outcomes enums, the JSON-lines sink's torn-line size a long): <c>FakeLogger</c> keeps property values as strings.
/// Other tests use <c>FakeLoggerProvider</c>.
/// </remarks>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _logs = new();

    public LogLevel MinimumLevel { get; init; } = LogLevel.Trace;

    public IReadOnlyList<CapturedLog> Logs => _logs.ToArray();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var properties = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            owner._logs.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), properties.ToArray(), exception));
        }
    }
}
