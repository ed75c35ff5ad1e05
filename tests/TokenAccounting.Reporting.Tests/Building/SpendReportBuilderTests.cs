using TokenAccounting.Reporting.Tests.Infrastructure;

namespace TokenAccounting.Reporting.Tests.Building;

public sealed class SpendReportBuilderTests(GeneratedLedgers ledgers) : IClassFixture<GeneratedLedgers>
{
    private static readonly DateTimeOffset From = GeneratedUsage.Start.AddDays(10);
    private static readonly DateTimeOffset To = GeneratedUsage.Start.AddDays(20);

    [Theory]
    [InlineData("memory")]
    [InlineData("jsonlines")]
    [InlineData("jsonlines-query")]
    [InlineData("sqlite")]
    public async Task BuildAsync_DayAlignedRangeOnEachLedgerKind_MatchesSumsOfTheRecords(string kind)
    {
        var source = ledgers.Open(kind);
        try
        {
            var report = await SpendReportBuilder.BuildAsync(source, new SpendReportOptions(From, To) { Top = 3 });

            ReportExpectations.ShouldMatch(report, [.. ledgers.Usage.In(From, To)], [.. ledgers.Usage.In(From.AddDays(-10), From)]);
            report.Source.ShouldBe(kind is "sqlite" or "jsonlines-query" ? UsageQuerySource.Rollups : UsageQuerySource.Details);
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }

    [Theory]
    [InlineData("jsonlines")]
    [InlineData("jsonlines-query")]
    [InlineData("sqlite")]
    public async Task BuildAsync_RangeNotDayAligned_AnswersFromDetailsAndMatches(string kind)
    {
        var from = From.AddHours(5.5);
        var to = To.AddHours(-3);
        var source = ledgers.Open(kind);
        try
        {
            var report = await SpendReportBuilder.BuildAsync(source, new SpendReportOptions(from, to) { Top = 4 });

            report.Source.ShouldBe(UsageQuerySource.Details);
            ReportExpectations.ShouldMatch(report, [.. ledgers.Usage.In(from, to)], [.. ledgers.Usage.In(from - (to - from), from)]);
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public async Task BuildAsync_GroupBy_AddsCustomBreakdownThatSumsToTotals()
    {
        var report = await SpendReportBuilder.BuildAsync(
            ledgers.Open("memory"),
            new SpendReportOptions(From, To) { GroupBy = [UsageDimension.Tenant, UsageDimension.Model], Top = 5 });

        var custom = report.Custom.ShouldNotBeNull();
        custom.Dimensions.ShouldBe([UsageDimension.Tenant, UsageDimension.Model]);
        custom.Rows.Count.ShouldBe(5);
        var records = ledgers.Usage.In(From, To).ToList();
        custom.GroupCount.ShouldBe(records.Select(r => (r.TenantId, r.Model)).Distinct().Count());
        (custom.Rows.Sum(r => r.Cost?.Total ?? 0m) + (custom.Others?.Cost?.Total ?? 0m)).ShouldBe(GeneratedUsage.Cost(records));
        var top = records.GroupBy(r => (r.TenantId, r.Model)).OrderByDescending(g => GeneratedUsage.Cost(g)).First();
        (custom.Rows[0].TenantId, custom.Rows[0].Model).ShouldBe(top.Key);
    }

    [Fact]
    public async Task BuildAsync_CachedTokens_SavingIsUncachedMinusCachedRateFromTheCatalog()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Model = "m", Provider = "p", Input = 2m, CachedInput = 0.5m, Output = 8m }]);
        var midnight = new DateTimeOffset(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);
        var day = midnight.AddHours(12);
        UsageRecord[] records =
        [
            new() { Model = "m", Provider = "p", Tokens = new TokenCounts(1_500_000, 10, cachedInput: 1_000_000), CompletedAt = day, Cost = UsageCost.Zero },
            new() { Model = "n", Provider = "p", Tokens = new TokenCounts(100, 10, cachedInput: 40), CompletedAt = day },
        ];

        var report = await SpendReportBuilder.BuildAsync(new InMemoryUsageQuery(records), new SpendReportOptions(midnight, midnight.AddDays(1)) { Prices = catalog });

        report.Totals.CacheSavings.ShouldBe(1.5m);
        var m = report.CacheSavings.Single(s => s.Model == "m");
        (m.UncachedCost, m.CachedCost, m.Saved, m.CachedInputTokens).ShouldBe((2m, 0.5m, 1.5m, 1_000_000L));
        var n = report.CacheSavings.Single(s => s.Model == "n");
        (n.UnpricedCachedInputTokens, n.Saved).ShouldBe((40L, 0m));
        report.Unpriced.Single().Model.ShouldBe("n");
        report.Totals.UnpricedRequestCount.ShouldBe(1);
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("jsonlines-query")]
    [InlineData("sqlite")]
    public async Task BuildAsync_Budgets_ReportUsedShareAndStatePerSubject(string kind)
    {
        var end = To;
        var records = ledgers.Usage.Records;
        var lastDay = records.Where(r => r.CompletedAt >= end.AddDays(-1) && r.CompletedAt < end).ToList();
        var tenantA = lastDay.Where(r => r.TenantId == "tenant-a").Sum(r => r.Tokens.Total);
        var month = records.Where(r => r.CompletedAt >= new DateTimeOffset(end.Year, end.Month, 1, 0, 0, 0, TimeSpan.Zero) && r.CompletedAt < end).ToList();
        BudgetPolicy[] budgets =
        [
            new() { Name = "a-daily-tokens", Dimension = BudgetDimension.Tenant, DimensionValue = "tenant-a", Unit = BudgetUnit.Tokens, Limit = tenantA * 2, WarningThreshold = 0.4 },
            new() { Name = "monthly-usd", Unit = BudgetUnit.Usd, Limit = 1_000_000m, Window = BudgetWindow.UtcMonth },
            new() { Name = "per-user-usd", Dimension = BudgetDimension.User, Unit = BudgetUnit.Usd, Limit = 0.000001m },
            new() { Name = "per-scope", Dimension = BudgetDimension.Scope, Unit = BudgetUnit.Tokens, Limit = 10 },
        ];

        var source = ledgers.Open(kind);
        SpendReport report;
        try
        {
            report = await SpendReportBuilder.BuildAsync(source, new SpendReportOptions(From, end) { Budgets = budgets, Top = 50 });
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }

        var daily = report.Budgets.Single(b => b.Policy.Name == "a-daily-tokens");
        (daily.Subject, daily.Used, daily.UsedShare, daily.State, daily.WindowStart).ShouldBe(("tenant-a", (decimal)tenantA, 0.5m, BudgetState.Warning, end.AddDays(-1)));
        var monthly = report.Budgets.Single(b => b.Policy.Name == "monthly-usd");
        (monthly.Used, monthly.State, monthly.Subject).ShouldBe((GeneratedUsage.Cost(month), BudgetState.Ok, (string?)null));
        var perUser = report.Budgets.Where(b => b.Policy.Name == "per-user-usd").ToList();
        var users = lastDay.Where(r => r.UserId is not null).GroupBy(r => r.UserId)
            .Select(g => (User: g.Key, Cost: GeneratedUsage.Cost(g))).OrderByDescending(u => u.Cost).ThenBy(u => u.User, StringComparer.Ordinal).ToList();
        perUser.Select(b => (b.Subject, b.Used)).ShouldBe(users.Select(u => (u.User, u.Cost)));
        perUser.Select(b => b.State).ShouldBe(users.Select(u => u.Cost >= 0.000001m ? BudgetState.Exceeded : BudgetState.Ok));
        report.Budgets.Single(b => b.Policy.Name == "per-scope").State.ShouldBe(BudgetState.Unknown);
    }

    [Fact]
    public async Task BuildAsync_JsonLinesQueryWithComparisonAndBudgets_ReadsTheLedgerOnce()
    {
        // Memory bounded by grouping keys needs one streaming pass: the previous period and the budgets whose window
        // starts inside it come from the same rows. The query's progress reports restart at each pass.
        var passes = new PassCounter();
        var source = new JsonLinesUsageQuery(ledgers.JsonLinesFolder) { Progress = passes };
        BudgetPolicy[] budgets =
        [
            new() { Name = "daily", Dimension = BudgetDimension.Tenant, Unit = BudgetUnit.Usd, Limit = 1m },
            new() { Name = "monthly", Unit = BudgetUnit.Usd, Limit = 1m, Window = BudgetWindow.UtcMonth },
        ];

        var report = await SpendReportBuilder.BuildAsync(source, new SpendReportOptions(From, To) { Budgets = budgets, GroupBy = [UsageDimension.User, UsageDimension.Model] });

        passes.Passes.ShouldBe(1);
        passes.Last.ShouldBe(Directory.EnumerateFiles(ledgers.JsonLinesFolder, "*.jsonl").Sum(f => new FileInfo(f).Length));
        report.Change.ShouldNotBeNull().Previous.RequestCount.ShouldBe(ledgers.Usage.In(From.AddDays(-10), From).Count());
        report.Budgets.Single(b => b.Policy.Name == "monthly").Used.ShouldBe(GeneratedUsage.Cost(ledgers.Usage.In(GeneratedUsage.Start, To)));
    }

    [Fact]
    public async Task BuildAsync_JsonLinesQueryBudgetWindowBeforeTheRows_QueriesItSeparately()
    {
        // A month window starting before the previous period is not in the rows: one more pass, still exact.
        var passes = new PassCounter();
        var source = new JsonLinesUsageQuery(ledgers.JsonLinesFolder) { Progress = passes };
        var from = GeneratedUsage.Start.AddDays(15);
        BudgetPolicy[] budgets = [new() { Name = "monthly", Unit = BudgetUnit.Usd, Limit = 1m, Window = BudgetWindow.UtcMonth }];

        var report = await SpendReportBuilder.BuildAsync(source, new SpendReportOptions(from, from.AddDays(2)) { Budgets = budgets });

        passes.Passes.ShouldBe(2);
        report.Budgets.Single().Used.ShouldBe(GeneratedUsage.Cost(ledgers.Usage.In(GeneratedUsage.Start, from.AddDays(2))));
    }

    [Fact]
    public async Task BuildAsync_DayAlignedRangeOnARollupLedger_AsksTwoQueriesAndMatches()
    {
        // A SQL ledger sums in its engine: one query for the days (both periods), one for the four attribution
        // breakdowns together — not one per breakdown, each re-reading the range.
        var sqlite = ledgers.Open("sqlite");
        try
        {
            var counting = new CountingQuery(sqlite);
            var report = await SpendReportBuilder.BuildAsync(counting, new SpendReportOptions(From, To) { Top = 3 });

            counting.Queries.Select(q => string.Join('+', q.GroupBy)).ShouldBe(["Date+Model+Provider", "Operation+User+Tenant+ApiKey"]);
            ReportExpectations.ShouldMatch(report, [.. ledgers.Usage.In(From, To)], [.. ledgers.Usage.In(From.AddDays(-10), From)]);
        }
        finally
        {
            (sqlite as IDisposable)?.Dispose();
        }
    }

    /// <summary>Records the queries asked of a ledger that is neither in memory nor JSON lines.</summary>
    private sealed class CountingQuery(IUsageQuery inner) : IUsageQuery
    {
        public List<UsageQuery> Queries { get; } = [];

        public ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
        {
            Queries.Add(query);
            return inner.QueryTotalsAsync(query, cancellationToken);
        }
    }

    /// <summary>Counts the passes a query makes from its progress reports (values grow within a pass).</summary>
    private sealed class PassCounter : IProgress<long>
    {
        public int Passes { get; private set; }

        public long Last { get; private set; } = -1;

        public void Report(long value)
        {
            if (value < Last || Passes == 0)
            {
                Passes++;
            }

            Last = value;
        }
    }

    [Fact]
    public async Task BuildAsync_EmptyLedger_GivesZerosAndNoChangeRatio()
    {
        var report = await SpendReportBuilder.BuildAsync(new InMemoryUsageQuery([]), new SpendReportOptions(From, To));

        report.Totals.RequestCount.ShouldBe(0);
        report.Totals.TotalCost.ShouldBe(0m);
        report.Totals.CacheShare.ShouldBe(0m);
        report.ByDay.ShouldBeEmpty();
        report.ByModel.GroupCount.ShouldBe(0);
        report.Change.ShouldNotBeNull().CostChange.ShouldBeNull();
    }

    [Fact]
    public async Task BuildAsync_CompareWithPreviousPeriodOff_HasNoChange()
    {
        var report = await SpendReportBuilder.BuildAsync(ledgers.Open("memory"), new SpendReportOptions(From, To) { CompareWithPreviousPeriod = false });

        report.Change.ShouldBeNull();
        report.Totals.RequestCount.ShouldBe(ledgers.Usage.In(From, To).Count());
    }

    [Fact]
    public async Task BuildAsync_GeneratedAt_ComesFromTheTimeProvider()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 30, 0, TimeSpan.Zero));

        var report = await SpendReportBuilder.BuildAsync(new InMemoryUsageQuery([]), new SpendReportOptions(From, To), clock);

        report.GeneratedAt.ShouldBe(clock.GetUtcNow());
    }

    [Fact]
    public void Options_EndNotAfterStart_ThrowsNamingTheRange()
    {
        var error = Should.Throw<ArgumentException>(() => new SpendReportOptions(To, From));

        error.ParamName.ShouldBe("to");
    }

    [Fact]
    public void Options_TopBelowOne_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new SpendReportOptions(From, To) { Top = 0 }).ParamName.ShouldBe("Top");
    }

    [Fact]
    public void Options_GroupByTwice_Throws()
    {
        Should.Throw<ArgumentException>(() => new SpendReportOptions(From, To) { GroupBy = [UsageDimension.User, UsageDimension.User] });
    }

    [Fact]
    public async Task BuildAsync_NullArguments_Throw()
    {
        await Should.ThrowAsync<ArgumentNullException>(async () => await SpendReportBuilder.BuildAsync(null!, new SpendReportOptions(From, To)));
        await Should.ThrowAsync<ArgumentNullException>(async () => await SpendReportBuilder.BuildAsync(new InMemoryUsageQuery([]), null!));
    }
}
