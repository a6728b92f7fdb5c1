using Commerce.Jobs.Benchmarks.Infrastructure;
using BenchmarkDotNet.Running;

// --loop Class.Method [seconds] [Param=value ...]: one benchmark in a loop, in this process, for a profiler.
if (args is ["--loop", .. var loop])
{
    return await LoopRunner.RunAsync(loop).ConfigureAwait(false);
}

// --quick: the engine suite and the dashboard API (or the --filter given) with few iterations, in a few minutes; see README.md.
var quick = args.Any(a => a.Equals("--quick", StringComparison.OrdinalIgnoreCase));
if (quick)
{
    Environment.SetEnvironmentVariable(BenchSettings.QuickVariable, "1");
    args = [.. args.Where(a => !a.Equals("--quick", StringComparison.OrdinalIgnoreCase))];
    if (!args.Any(a => a is "--filter" or "-f" or "--anyCategories" or "--allCategories"))
    {
        args = [.. args, "--filter", "*", "--anyCategories", BenchSettings.EngineCategory, BenchSettings.DashboardCategory];
    }
}

// Figures the benchmark processes measure themselves (CPU/op, heap/job, in-process percentiles) land here.
var metrics = Path.Combine(Environment.CurrentDirectory, "BenchmarkDotNet.Artifacts", "metrics");
if (Directory.Exists(metrics))
{
    Directory.Delete(metrics, recursive: true);
}

Directory.CreateDirectory(metrics);
Environment.SetEnvironmentVariable(Metrics.DirectoryVariable, metrics);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, SuiteConfig.Instance);
return 0;
