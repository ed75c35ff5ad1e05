using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>Log messages of the middleware. Event ids 6001–6099 belong to this package.</summary>
internal static partial class AccountingLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Token accounting failed while {Stage} for model {Model}; the call was not affected.")]
    public static partial void AccountingFailed(ILogger logger, Exception exception, string stage, string model);
}
