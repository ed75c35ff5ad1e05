namespace TokenAccounting.Tests.Diagnostics;

/// <summary>
/// Tests that listen to every meter named <c>TokenAccounting</c> (the static one, the OpenTelemetry SDK) run alone:
/// otherwise they would also capture, and slow down, every recorder of the test classes running in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StaticMeterListeners
{
    public const string Name = "Listeners of the static TokenAccounting meter";
}
