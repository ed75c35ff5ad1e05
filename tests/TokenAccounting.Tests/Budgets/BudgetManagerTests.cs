namespace TokenAccounting.Tests.Budgets;

public sealed class BudgetManagerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private static BudgetManager Manager(FakeTimeProvider time, params BudgetPolicy[] policies) => new(policies, new InMemoryBudgetStore(), time);

    private static BudgetPolicy Global(decimal limit, BudgetUnit unit = BudgetUnit.Tokens, BudgetWindow? window = null) =>
        new() { Name = "global", Limit = limit, Unit = unit, Window = window ?? BudgetWindow.UtcDay };

    [Fact]
    public async Task Reserve_1000ConcurrentReservationsOfOneAgainstLimit100_AdmitsExactly100()
    {
        var manager = Manager(new FakeTimeProvider(Start), Global(100));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subject = new BudgetSubject();

        var attempts = Enumerable.Range(0, 1_000).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            try
            {
                return manager.Reserve(BudgetAmount.FromTokens(1), subject);
            }
            catch (BudgetExceededException)
            {
                return null;
            }
        })).ToArray();
        gate.SetResult();
        var reservations = await Task.WhenAll(attempts);

        var admitted = reservations.Where(r => r is not null).Select(r => r!).ToArray();
        admitted.Length.ShouldBe(100);
        manager.Denials.ShouldBe(900);
        manager.GetUsed("global", subject).ShouldBe(100m);

        // Commit concurrently: even ones used 0 tokens, odd ones 1 → used equals the committed sum, 50.
        await Task.WhenAll(admitted.Select((r, i) => Task.Run(() => r.Commit(BudgetAmount.FromTokens(i % 2)))));
        manager.GetUsed("global", subject).ShouldBe(50m);

        // Exactly the 50 units left are admitted afterwards.
        var again = 0;
        for (var i = 0; i < 60; i++)
        {
            try
            {
                manager.Reserve(BudgetAmount.FromTokens(1), subject);
                again++;
            }
            catch (BudgetExceededException)
            {
            }
        }

        again.ShouldBe(50);
    }

    [Fact]
    public void Reserve_ThreadsRacingPastTheLimit_NeverOverAdmit()
    {
        // More contention than the 1,000-task test: dedicated threads released together by a barrier, each
        // reserving until denied. A check-then-add race in the store would admit more than the limit.
        const int threads = 4;
        const int limit = 40_000;
        var manager = Manager(new FakeTimeProvider(Start), Global(limit));
        var subject = new BudgetSubject();
        var admitted = new int[threads];
        using var barrier = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            barrier.SignalAndWait();
            for (var i = 0; i < limit; i++)
            {
                try
                {
                    manager.Reserve(BudgetAmount.FromTokens(1), subject);
                    admitted[t]++;
                }
                catch (BudgetExceededException)
                {
                    return;
                }
            }
        })).ToArray();

        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        admitted.Sum().ShouldBe(limit);
        manager.GetUsed("global", subject).ShouldBe(limit);
    }

    [Fact]
    public void Commit_ActualDiffersFromEstimate_UsedEqualsCommittedSum()
    {
        var manager = Manager(new FakeTimeProvider(Start), Global(10m, BudgetUnit.Usd));

        using (var r = manager.Reserve(BudgetAmount.FromCost(2m), new BudgetSubject()))
        {
            r.Commit(BudgetAmount.FromCost(0.75m));
        }

        using (var r = manager.Reserve(BudgetAmount.FromCost(1m), new BudgetSubject()))
        {
            r.Commit(BudgetAmount.FromCost(3.5m)); // an overrun is counted, not denied
        }

        manager.GetUsed("global", new BudgetSubject()).ShouldBe(4.25m);
    }

    [Fact]
    public async Task Dispose_CallFailsBeforeCommit_ReleasesTheEstimate()
    {
        var manager = Manager(new FakeTimeProvider(Start), Global(1_000));

        await Should.ThrowAsync<HttpRequestException>(async () =>
        {
            await using var reservation = await manager.ReserveAsync(BudgetAmount.FromTokens(800), new BudgetSubject());
            manager.GetUsed("global", new BudgetSubject()).ShouldBe(800m);
            throw new HttpRequestException("provider down");
        });

        manager.GetUsed("global", new BudgetSubject()).ShouldBe(0m);
    }

    [Fact]
    public void Reserve_HardLimitExceeded_ThrowsWithPolicyLimitUsedAndRemaining()
    {
        var policy = new BudgetPolicy { Name = "tenant-daily", Dimension = BudgetDimension.Tenant, Unit = BudgetUnit.Usd, Limit = 10m };
        var manager = Manager(new FakeTimeProvider(Start), policy);
        var tenantA = new BudgetSubject { TenantId = "tenant-a" };
        manager.Reserve(BudgetAmount.FromCost(7.5m), tenantA).Commit(BudgetAmount.FromCost(7.5m));

        var ex = Should.Throw<BudgetExceededException>(() => manager.Reserve(BudgetAmount.FromCost(3m), tenantA));

        ex.Policy.ShouldBeSameAs(policy);
        ex.SubjectKey.ShouldBe("tenant-a");
        ex.Limit.ShouldBe(10m);
        ex.Used.ShouldBe(7.5m);
        ex.Remaining.ShouldBe(2.5m);
        ex.Requested.ShouldBe(3m);
        ex.Message.ShouldContain("tenant-daily");
        ex.Message.ShouldContain("remaining 2.5");
        manager.Denials.ShouldBe(1);

        // Another tenant has its own counter.
        manager.Reserve(BudgetAmount.FromCost(3m), new BudgetSubject { TenantId = "tenant-b" }).State.ShouldBe(BudgetReservationState.Held);
    }

    [Fact]
    public void Reserve_ExhaustedBudget_DeniesEvenAZeroEstimate()
    {
        var manager = Manager(new FakeTimeProvider(Start), Global(5));
        manager.Reserve(BudgetAmount.FromTokens(5), new BudgetSubject()).Commit(BudgetAmount.FromTokens(5));

        Should.Throw<BudgetExceededException>(() => manager.Reserve(BudgetAmount.FromTokens(0), new BudgetSubject())).Remaining.ShouldBe(0m);
    }

    [Fact]
    public void Reserve_SecondPolicyDenies_GivesBackTheFirstPolicysHold()
    {
        var manager = Manager(
            new FakeTimeProvider(Start),
            new BudgetPolicy { Name = "tokens", Limit = 1_000 },
            new BudgetPolicy { Name = "dollars", Unit = BudgetUnit.Usd, Limit = 1m });

        Should.Throw<BudgetExceededException>(() => manager.Reserve(new BudgetAmount(500, 2m), new BudgetSubject())).Policy.Name.ShouldBe("dollars");

        manager.GetUsed("tokens", new BudgetSubject()).ShouldBe(0m);
    }

    [Fact]
    public void Commit_Twice_Throws_AndReleaseAfterCommitDoesNothing()
    {
        var manager = Manager(new FakeTimeProvider(Start), Global(100));
        var reservation = manager.Reserve(BudgetAmount.FromTokens(10), new BudgetSubject());
        reservation.Commit(BudgetAmount.FromTokens(7));

        Should.Throw<InvalidOperationException>(() => reservation.Commit(BudgetAmount.FromTokens(7))).Message.ShouldContain("committed");
        reservation.Release();
        reservation.Dispose();

        manager.GetUsed("global", new BudgetSubject()).ShouldBe(7m);
        reservation.State.ShouldBe(BudgetReservationState.Committed);
    }

    [Fact]
    public void Commit_AfterRelease_Throws()
    {
        var manager = Manager(new FakeTimeProvider(Start), Global(100));
        var reservation = manager.Reserve(BudgetAmount.FromTokens(10), new BudgetSubject());
        reservation.Release();

        Should.Throw<InvalidOperationException>(() => reservation.Commit(BudgetAmount.FromTokens(1))).Message.ShouldContain("released");
        manager.GetUsed("global", new BudgetSubject()).ShouldBe(0m);
    }

    [Fact]
    public void SoftPolicy_ThresholdCrossedTwiceInOneWindow_WarnsOncePerWindow()
    {
        var time = new FakeTimeProvider(Start);
        var policy = new BudgetPolicy { Name = "soft", Limit = 100, Enforcement = BudgetEnforcement.Soft, WarningThreshold = 0.8 };
        var manager = Manager(time, policy);
        var warnings = new List<BudgetWarningEventArgs>();
        manager.WarningThresholdCrossed += (_, e) => warnings.Add(e);
        var subject = new BudgetSubject();

        manager.Reserve(BudgetAmount.FromTokens(70), subject).Commit(BudgetAmount.FromTokens(70));
        warnings.ShouldBeEmpty();

        // 70 → 85 crosses 80.
        var crossing = manager.Reserve(BudgetAmount.FromTokens(15), subject);
        warnings.Count.ShouldBe(1);
        warnings[0].Used.ShouldBe(85m);
        warnings[0].Remaining.ShouldBe(15m);
        warnings[0].Policy.ShouldBeSameAs(policy);

        // Dropping below and crossing again in the same day does not warn again; soft never denies.
        crossing.Release();
        manager.Reserve(BudgetAmount.FromTokens(50), subject).Commit(BudgetAmount.FromTokens(50));
        manager.GetUsed("soft", subject).ShouldBe(120m);
        warnings.Count.ShouldBe(1);

        // The next UTC day is a new window: crossing there warns once more.
        time.SetUtcNow(new DateTimeOffset(2026, 1, 16, 0, 0, 1, TimeSpan.Zero));
        manager.GetUsed("soft", subject).ShouldBe(0m);
        manager.Reserve(BudgetAmount.FromTokens(79), subject).Commit(BudgetAmount.FromTokens(79));
        manager.Reserve(BudgetAmount.FromTokens(1), subject).Commit(BudgetAmount.FromTokens(1));
        manager.Reserve(BudgetAmount.FromTokens(30), subject).Commit(BudgetAmount.FromTokens(30));
        warnings.Count.ShouldBe(2);
        warnings[1].Used.ShouldBe(80m);
        manager.Denials.ShouldBe(0);
    }

    [Fact]
    public void SoftPolicyWithoutThreshold_WarnsAtTheLimit()
    {
        var manager = Manager(new FakeTimeProvider(Start), new BudgetPolicy { Name = "soft", Limit = 10, Enforcement = BudgetEnforcement.Soft });
        var count = 0;
        manager.WarningThresholdCrossed += (_, _) => count++;

        manager.Reserve(BudgetAmount.FromTokens(9), new BudgetSubject());
        count.ShouldBe(0);
        manager.Reserve(BudgetAmount.FromTokens(1), new BudgetSubject());
        count.ShouldBe(1);
    }

    [Fact]
    public void Warning_HandlerThrows_AccountingIsUnaffected()
    {
        var manager = Manager(new FakeTimeProvider(Start), new BudgetPolicy { Name = "hard", Limit = 10, WarningThreshold = 0.5 });
        manager.WarningThresholdCrossed += (_, _) => throw new InvalidOperationException("bad handler");

        var reservation = manager.Reserve(BudgetAmount.FromTokens(6), new BudgetSubject());

        reservation.State.ShouldBe(BudgetReservationState.Held);
        manager.GetUsed("hard", new BudgetSubject()).ShouldBe(6m);
    }

    [Fact]
    public void Windows_UtcMonthRollingAndLifetime_ResetAsDocumented()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 31, 23, 0, 0, TimeSpan.Zero));
        var manager = Manager(
            time,
            new BudgetPolicy { Name = "month", Limit = 1_000, Window = BudgetWindow.UtcMonth },
            new BudgetPolicy { Name = "hour", Limit = 1_000, Window = BudgetWindow.Rolling(TimeSpan.FromHours(1)) },
            new BudgetPolicy { Name = "ever", Limit = 1_000, Window = BudgetWindow.Lifetime });
        var s = new BudgetSubject();

        manager.Reserve(BudgetAmount.FromTokens(10), s).Commit(BudgetAmount.FromTokens(10)); // 23:00
        time.Advance(TimeSpan.FromMinutes(40));
        manager.Reserve(BudgetAmount.FromTokens(5), s).Commit(BudgetAmount.FromTokens(5));   // 23:40
        (manager.GetUsed("month", s), manager.GetUsed("hour", s), manager.GetUsed("ever", s)).ShouldBe((15m, 15m, 15m));

        // 00:20 on Feb 1st: a new month; the 23:00 usage slid out of the last hour, the 23:40 one did not.
        time.Advance(TimeSpan.FromMinutes(40));
        (manager.GetUsed("month", s), manager.GetUsed("hour", s), manager.GetUsed("ever", s)).ShouldBe((0m, 5m, 15m));

        // The rolling window is bucketed (61 buckets of ⌈1 h / 60⌉ = 1 min, as in the PostgreSQL store; issue 12 §4):
        // an amount counts for at least the hour and at most one bucket longer. Exactly one hour after 23:40 it still
        // counts (this test asserted the unbucketed tick-exact window before); one bucket later it has slid out.
        time.Advance(TimeSpan.FromMinutes(20));
        manager.GetUsed("hour", s).ShouldBe(5m);
        time.Advance(TimeSpan.FromMinutes(1));
        manager.GetUsed("hour", s).ShouldBe(0m);
    }

    [Fact]
    public void Reserve_InScope_UsesTheScopesUserAndPath()
    {
        var manager = Manager(
            new FakeTimeProvider(Start),
            new BudgetPolicy { Name = "per-user", Dimension = BudgetDimension.User, Limit = 100 },
            new BudgetPolicy { Name = "agent", Dimension = BudgetDimension.Scope, DimensionValue = "agent-run", Limit = 100 },
            new BudgetPolicy { Name = "team", Dimension = BudgetDimension.Tag, TagKey = "team", Limit = 100 });

        using (UsageScope.Begin("agent-run", userId: "alice", tags: new Dictionary<string, string> { ["team"] = "search" }))
        using (UsageScope.Begin("extract"))
        {
            manager.Reserve(BudgetAmount.FromTokens(30)).PolicyNames.ShouldBe(["per-user", "agent", "team"]);
        }

        manager.GetUsed("per-user", new BudgetSubject { UserId = "alice" }).ShouldBe(30m);
        manager.GetUsed("agent", new BudgetSubject { ScopePath = "agent-run" }).ShouldBe(30m);
        manager.GetUsed("team", new BudgetSubject { Tags = new Dictionary<string, string> { ["team"] = "search" } }).ShouldBe(30m);

        // Outside any scope no user, scope or tag is known: none of these policies apply.
        manager.Reserve(BudgetAmount.FromTokens(1)).PolicyNames.ShouldBeEmpty();
        manager.GetUsed("per-user", new BudgetSubject()).ShouldBeNull();
    }

    [Fact]
    public void OnRecord_RecordsWithoutReservation_CountOnceAndTaggedRecordsAreSkipped()
    {
        var time = new FakeTimeProvider(Start);
        var manager = Manager(time, new BudgetPolicy { Name = "user-usd", Dimension = BudgetDimension.User, Unit = BudgetUnit.Usd, Limit = 1m });
        IUsageObserver observer = manager;
        var alice = new BudgetSubject { UserId = "alice" };

        // A call made under a reservation: committed through the reservation, recorded with the marker tag.
        var reservation = manager.Reserve(BudgetAmount.FromCost(0.5m), alice);
        var record = new UsageRecord { Model = "m", UserId = "alice", CompletedAt = Start, Tokens = new TokenCounts(10, 10), Cost = new UsageCost(0.2m, 0, 0, 0.1m, 0) };
        var recorded = reservation.Commit(record);
        recorded.Tags![BudgetManager.ReservationTagKey].ShouldBe(reservation.Id);
        observer.OnRecord(recorded);
        manager.GetUsed("user-usd", alice).ShouldBe(0.3m);

        // A call made without a reservation is counted when the pipeline observes it.
        observer.OnRecord(record with { Cost = new UsageCost(0.25m, 0, 0, 0, 0) });
        manager.GetUsed("user-usd", alice).ShouldBe(0.55m);

        // So a later reservation sees it: 0.55 + 0.5 > 1.
        Should.Throw<BudgetExceededException>(() => manager.Reserve(BudgetAmount.FromCost(0.5m), alice)).Used.ShouldBe(0.55m);
    }

    [Fact]
    public void OnRecord_CountRecordedUsageOff_IgnoresRecords()
    {
        IUsageObserver manager = new BudgetManager([Global(100)], new InMemoryBudgetStore(), new FakeTimeProvider(Start), countRecordedUsage: false);

        manager.OnRecord(new UsageRecord { Model = "m", CompletedAt = Start, Tokens = new TokenCounts(50, 50) });

        ((BudgetManager)manager).GetUsed("global", new BudgetSubject()).ShouldBe(0m);
    }

    [Fact]
    public void Constructor_InvalidPolicies_ThrowNamingThePolicyAndField()
    {
        var time = new FakeTimeProvider(Start);

        Should.Throw<ArgumentOutOfRangeException>(() => Manager(time, new BudgetPolicy { Name = "zero", Limit = 0 })).Message.ShouldContain("'zero': Limit");
        Should.Throw<ArgumentException>(() => Manager(time, new BudgetPolicy { Name = "tags", Limit = 1, Dimension = BudgetDimension.Tag })).Message.ShouldContain("TagKey");
        Should.Throw<ArgumentOutOfRangeException>(() => Manager(time, new BudgetPolicy { Name = "warn", Limit = 1, WarningThreshold = 1.5 })).ParamName.ShouldBe("WarningThreshold");
        Should.Throw<ArgumentException>(() => Manager(time, Global(1), Global(2))).Message.ShouldContain("'global'");
    }
}
