namespace TokenAccounting.Testing;

/// <summary>
/// Thrown by the TokenAccounting.Testing assertions (<see cref="UsageAssertions"/>) when recorded usage differs from
/// what a test expected; the message lists each difference and what was recorded.
/// </summary>
/// <remarks>
/// It derives from <see cref="Exception"/> only, so it depends on no test framework: xunit, NUnit and MSTest all
/// report an unexpected exception thrown by a test as a failure of that test (not as an error of the run), with
/// this message. It is not an <see cref="ArgumentException"/> or <see cref="InvalidOperationException"/>, so
/// <c>Assert.Throws</c> of those in the same test never swallows it.
/// </remarks>
public sealed class UsageAssertionException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public UsageAssertionException()
        : base("Recorded usage differs from what was expected.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What differs.</param>
    public UsageAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What differs.</param>
    /// <param name="innerException">The cause.</param>
    public UsageAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
