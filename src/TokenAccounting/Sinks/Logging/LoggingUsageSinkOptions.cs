using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>Options of <see cref="LoggingUsageSink"/>.</summary>
public sealed class LoggingUsageSinkOptions
{
    /// <summary>The default logger category: <c>TokenAccounting.Usage</c>.</summary>
    public const string DefaultCategoryName = "TokenAccounting.Usage";

    /// <summary>Gets or sets the level of the per-record events.</summary>
    /// <value>The default value is <see cref="LogLevel.Information"/>. <see cref="LogLevel.None"/> is not allowed.</value>
    public LogLevel Level { get; set; } = LogLevel.Information;

    /// <summary>Gets or sets the logger category used when the sink is created from an <see cref="ILoggerFactory"/> (for example by <c>AddLoggingSink()</c>).</summary>
    /// <value>The default value is <see cref="DefaultCategoryName"/>.</value>
    public string CategoryName { get; set; } = DefaultCategoryName;

    /// <summary>Checks the options and throws an exception that names the bad option.</summary>
    internal void Validate()
    {
        if (Level is < LogLevel.Trace or >= LogLevel.None)
        {
            throw new ArgumentOutOfRangeException(nameof(Level), Level, $"LoggingUsageSinkOptions.Level must be a level from Trace to Critical (was {Level}).");
        }

        if (string.IsNullOrWhiteSpace(CategoryName))
        {
            throw new ArgumentException("LoggingUsageSinkOptions.CategoryName must not be null, empty or white space.", nameof(CategoryName));
        }
    }
}
