using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>Log messages of the budgets (event ids 1101–1102).</summary>
internal static partial class BudgetLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "The budget store refused the {Operation} of reservation {ReservationId}; it is retried in the background until it lands (BudgetManager.PendingSettlements).")]
    public static partial void SettlementFailed(ILogger logger, Exception exception, string reservationId, string operation);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "The budget store took the pending change of reservation {ReservationId} on a background retry; it is {State}.")]
    public static partial void SettlementLanded(ILogger logger, string reservationId, BudgetReservationState state);
}
