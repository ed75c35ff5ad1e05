using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// Turns a <see cref="BudgetExceededException"/> that reaches <c>UseExceptionHandler()</c> into a 429 ProblemDetails
/// answer (the <c>UseTokenAccounting()</c> middleware does the same for exceptions thrown after it).
/// </summary>
internal sealed class BudgetExceededExceptionHandler(BudgetProblemWriter writer) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (BudgetProblemWriter.Find(exception) is not { } budget || httpContext.Response.HasStarted)
        {
            return false;
        }

        await writer.WriteAsync(httpContext, budget, exception).ConfigureAwait(false);
        return true;
    }
}
