using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// <c>--loop Class.Method [seconds] [Param=value ...]</c>: runs one benchmark method in this process, over and over for
/// the given time (default 20 s), with its global and iteration setup and cleanup, and no BenchmarkDotNet around it;
/// for attaching a profiler (<c>DOTNET_PerfMapEnabled=1 perf record -g -p PID</c>, dotnet-trace, dotnet-counters).
/// <c>--alloc</c> also samples allocations by type (<see cref="AllocationSampler"/>).
/// </summary>
internal static class LoopRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0].Split('.') is not [var typeName, var methodName])
        {
            await Console.Error.WriteLineAsync("usage: --loop Class.Method [seconds] [Param=value ...]").ConfigureAwait(false);
            return 2;
        }

        var type = typeof(LoopRunner).Assembly.GetTypes().Single(t => t.Name == typeName);
        var method = type.GetMethod(methodName) ?? throw new ArgumentException($"No method {methodName} on {typeName}.");
        var seconds = args.Length > 1 && double.TryParse(args[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 20;
        var benchmark = Activator.CreateInstance(type)!;
        foreach (var assignment in args.Skip(1).Where(a => a.Contains('=', StringComparison.Ordinal) && !a.StartsWith("--", StringComparison.Ordinal)))
        {
            var (name, value) = (assignment[..assignment.IndexOf('=', StringComparison.Ordinal)], assignment[(assignment.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            var property = type.GetProperty(name) ?? throw new ArgumentException($"No parameter {name} on {typeName}.");
            property.SetValue(benchmark, Convert.ChangeType(value, property.PropertyType, CultureInfo.InvariantCulture));
        }

        var iterationSetups = Methods<IterationSetupAttribute>(type);
        var iterationCleanups = Methods<IterationCleanupAttribute>(type);
        await InvokeAllAsync(benchmark, Methods<GlobalSetupAttribute>(type)).ConfigureAwait(false);
        long exceptions = 0;
        AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
        using var sampler = args.Contains("--alloc") ? new AllocationSampler() : null;
        Console.WriteLine($"// pid {Environment.ProcessId}: looping {typeName}.{methodName} for {seconds} s");
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var (paused, allocated, cpu) = (GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(precise: true), Environment.CpuUsage.TotalTime);
        var clock = Stopwatch.StartNew();
        long invocations = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await InvokeAllAsync(benchmark, iterationSetups).ConfigureAwait(false);
            await AwaitAsync(method.Invoke(benchmark, null)).ConfigureAwait(false);
            await InvokeAllAsync(benchmark, iterationCleanups).ConfigureAwait(false);
            invocations++;
        }

        var perInvocation = clock.Elapsed / invocations;
        var n = (double)invocations;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {invocations} invocations, {perInvocation.TotalMilliseconds:N3} ms each; per invocation: CPU {(Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds / n:N3} ms, allocated {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / n:N0} B, GC pause {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds / n:N3} ms, GCs gen0 {(GC.CollectionCount(0) - gen0) / n:N2} gen1 {(GC.CollectionCount(1) - gen1) / n:N2} gen2 {(GC.CollectionCount(2) - gen2) / n:N2}, first-chance exceptions {Interlocked.Read(ref exceptions) / n:N2}"));
        sampler?.Report(Console.Out, invocations);
        await InvokeAllAsync(benchmark, Methods<GlobalCleanupAttribute>(type)).ConfigureAwait(false);
        return 0;
    }

    private static MethodInfo[] Methods<TAttribute>(Type type)
        where TAttribute : Attribute
        => [.. type.GetMethods().Where(m => m.GetCustomAttribute<TAttribute>() is not null)];

    private static async Task InvokeAllAsync(object benchmark, MethodInfo[] methods)
    {
        foreach (var m in methods)
        {
            await AwaitAsync(m.Invoke(benchmark, null)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits the way BenchmarkDotNet does, blocking this thread: an await would run the rest of the loop as the
    /// continuation, inline on whatever engine thread completed the benchmark's signal, and the next setup would then
    /// wait for a run that the blocked engine thread is still in.
    /// </summary>
    private static Task AwaitAsync(object? result)
    {
        switch (result)
        {
            case Task task:
                task.GetAwaiter().GetResult();
                break;
            case ValueTask valueTask:
                valueTask.AsTask().GetAwaiter().GetResult();
                break;
        }

        return Task.CompletedTask;
    }
}
