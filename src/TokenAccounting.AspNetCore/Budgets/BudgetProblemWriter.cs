using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace TokenAccounting.AspNetCore;

/// <summary>Answers a denied budget: 429, <c>Retry-After</c> and an RFC 9457 ProblemDetails body through <see cref="IProblemDetailsService"/>.</summary>
internal sealed class BudgetProblemWriter(IOptions<TokenAccountingHttpOptions> options, TimeProvider timeProvider, IProblemDetailsService? problemDetails = null)
{
    internal const string ProblemType = "https://tools.ietf.org/html/rfc6585#section-4";

    private readonly TokenAccountingHttpOptions _options = options.Value;

    /// <summary>Finds a <see cref="BudgetExceededException"/> in an exception, its inner exceptions or an aggregate's.</summary>
    internal static BudgetExceededException? Find(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 16; depth++)
        {
            switch (exception)
            {
                case BudgetExceededException budget:
                    return budget;
                case AggregateException aggregate:
                    foreach (var inner in aggregate.InnerExceptions)
                    {
                        if (Find(inner) is { } found)
                        {
                            return found;
                        }
                    }

                    return null;
                default:
                    exception = exception.InnerException;
                    break;
            }
        }

        return null;
    }

    internal async ValueTask WriteAsync(HttpContext context, BudgetExceededException exception, Exception? original = null)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        var retryAfter = BudgetRetryAfter.Compute(exception, timeProvider);
        if (retryAfter is { } delay)
        {
            response.Headers[HeaderNames.RetryAfter] = BudgetRetryAfter.ToHeaderValue(delay);
        }

        var problem = new ProblemDetails
        {
            Type = ProblemType,
            Title = "Budget exceeded",
            Status = StatusCodes.Status429TooManyRequests,
            Instance = context.Request.Path,
        };
        if (_options.IncludeBudgetDetails)
        {
            var policy = exception.Policy;
            problem.Detail = string.Create(
                CultureInfo.InvariantCulture,
                $"Budget '{policy.Name}' has {exception.Remaining} {policy.Unit} left of {exception.Limit} in the current {policy.Window} window; the request needed {exception.Requested}.");
            problem.Extensions["policy"] = policy.Name;
            problem.Extensions["dimension"] = policy.Dimension.ToString();
            problem.Extensions["unit"] = policy.Unit.ToString();
            problem.Extensions["window"] = policy.Window.ToString();
            problem.Extensions["limit"] = exception.Limit;
            problem.Extensions["used"] = exception.Used;
            problem.Extensions["remaining"] = exception.Remaining;
            problem.Extensions["requested"] = exception.Requested;
        }
        else
        {
            problem.Detail = "A usage budget is exhausted.";
        }

        if (retryAfter is { } seconds)
        {
            problem.Extensions["retryAfterSeconds"] = long.Parse(BudgetRetryAfter.ToHeaderValue(seconds), CultureInfo.InvariantCulture);
        }

        if (problemDetails is null
            || !await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = original ?? exception }).ConfigureAwait(false))
        {
            // No writer accepted it (for example an Accept header without JSON): still answer with the problem JSON.
            await response.WriteAsJsonAsync(problem, typeof(ProblemDetails), options: null, contentType: "application/problem+json", context.RequestAborted).ConfigureAwait(false);
        }
    }
}
