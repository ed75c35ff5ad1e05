using Microsoft.Extensions.Logging;

namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>A logger whose every write throws, standing for a broken logging provider.</summary>
internal sealed class ThrowingLogger : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        throw new InvalidOperationException("logging provider is broken");
}
