using Microsoft.Extensions.Time.Testing;

namespace TokenAccounting.TestKit;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells a test when code has put a timer on the clock, so the test advances
/// time only once a background loop has scheduled its delay.
/// </summary>
/// <remarks>
/// <para>Why: a loop that runs on its own thread creates its <c>Task.Delay(delay, timeProvider)</c> timer at some point the
/// test cannot see. Advancing the clock before that timer exists moves time past a delay that has not started, the loop
/// then waits for time that never comes, and the test hangs the test host. Await <see cref="WhenTimerScheduledAsync"/>
/// first, then <see cref="FakeTimeProvider.Advance(TimeSpan)"/>.</para>
/// <para>How: <see cref="CreateTimer"/> wraps the base provider's timer and tracks whether it has a due time (created
/// or changed with a finite due time, not yet fired if it is one-shot, not disposed). Everything else is
/// <see cref="FakeTimeProvider"/>'s: its start time (pass one; the base default is 2000-01-01), timers firing
/// synchronously inside <c>Advance</c>, a timestamp frequency of <see cref="TimeSpan.TicksPerSecond"/>.</para>
/// </remarks>
public sealed class SignallingTimeProvider : FakeTimeProvider
{
    private readonly object _gate = new();
    private readonly Dictionary<SignallingTimer, TimeSpan> _scheduled = [];
    private readonly List<(TimeSpan? DueTime, int Count, TaskCompletionSource Waiter)> _waiters = [];

    /// <summary>Creates a clock at <paramref name="startDateTime"/>.</summary>
    /// <param name="startDateTime">The starting time.</param>
    public SignallingTimeProvider(DateTimeOffset startDateTime)
        : base(startDateTime)
    {
    }

    /// <summary>
    /// Completes once some timer has a due time: at once when one has already, otherwise when code creates or changes a
    /// timer with a finite due time — signalled only once the timer is on the clock, so advancing right after cannot
    /// miss it. A one-shot timer that has fired, or a disposed timer, no longer counts.
    /// </summary>
    /// <returns>A task that completes on another thread than the one scheduling the timer.</returns>
    public Task WhenTimerScheduledAsync() => WhenScheduledAsync(null, 1);

    /// <summary>
    /// Completes once at least <paramref name="count"/> timers are on the clock with the due time
    /// <paramref name="dueTime"/> (as created or last changed), under the same rules as
    /// <see cref="WhenTimerScheduledAsync()"/>. For code that keeps other timers on the same clock (a flush timeout, a
    /// periodic loop) while the test waits for one particular delay.
    /// </summary>
    /// <param name="dueTime">The due time the timers were scheduled with.</param>
    /// <param name="count">How many such timers must be on the clock at once.</param>
    /// <returns>A task that completes on another thread than the one scheduling the timer.</returns>
    public Task WhenTimersScheduledAsync(TimeSpan dueTime, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return WhenScheduledAsync(dueTime, count);
    }

    private Task WhenScheduledAsync(TimeSpan? dueTime, int count)
    {
        lock (_gate)
        {
            if (Satisfied(dueTime, count))
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, count, waiter));
            return waiter.Task;
        }
    }

    private bool Satisfied(TimeSpan? dueTime, int count) =>
        (dueTime is { } due ? _scheduled.Values.Count(d => d == due) : _scheduled.Count) >= count;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new SignallingTimer(this, callback, state);
        timer.Schedule(dueTime, period, () => timer.Inner = base.CreateTimer(static s => ((SignallingTimer)s!).Fire(), timer, dueTime, period));
        return timer;
    }

    private void Track(SignallingTimer timer, bool scheduled, TimeSpan dueTime = default)
    {
        List<TaskCompletionSource>? released = null;
        lock (_gate)
        {
            if (!scheduled)
            {
                _scheduled.Remove(timer);
                return;
            }

            _scheduled[timer] = dueTime;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (Satisfied(_waiters[i].DueTime, _waiters[i].Count))
                {
                    (released ??= []).Add(_waiters[i].Waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }

        released?.ForEach(w => w.TrySetResult());
    }

    private sealed class SignallingTimer(SignallingTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private int _firings;
        private volatile bool _periodic;

        public ITimer? Inner { get; set; }

        /// <summary>
        /// Puts the timer on the base clock first and signals after: a waiting test must not advance the clock before the
        /// timer is on it (it would then wait for time that never comes). A one-shot timer that fired meanwhile (a zero due
        /// time fires inside the call) is not counted as scheduled.
        /// </summary>
        public void Schedule(TimeSpan dueTime, TimeSpan period, Action schedule)
        {
            var periodic = period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan;
            _periodic = periodic;
            var firings = Volatile.Read(ref _firings);
            schedule();
            var firedMeanwhile = Volatile.Read(ref _firings) != firings;
            owner.Track(this, dueTime != Timeout.InfiniteTimeSpan && (periodic || !firedMeanwhile), dueTime);
        }

        public void Fire()
        {
            Interlocked.Increment(ref _firings);
            if (!_periodic)
            {
                owner.Track(this, scheduled: false);
            }

            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = false;
            Schedule(dueTime, period, () => changed = Inner!.Change(dueTime, period));
            return changed;
        }

        public void Dispose()
        {
            owner.Track(this, scheduled: false);
            Inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
