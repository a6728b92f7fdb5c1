using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// Figures a benchmark measures itself in its own process (CPU per operation, heap per job, in-process latency
/// percentiles) and hands to the host process, which shows them as <see cref="MetricColumn"/>s. BenchmarkDotNet runs
/// each case in a child process; the host passes a directory in <see cref="DirectoryVariable"/> and the child writes
/// one small file per case and metric there.
/// </summary>
internal static class Metrics
{
    public const string DirectoryVariable = "COMMERCE_JOBS_BENCH_METRICS";

    /// <summary>The method part of a key for a figure that belongs to every method of a class (set up once per case).</summary>
    public const string AnyMethod = "*";

    public static string? Directory => Environment.GetEnvironmentVariable(DirectoryVariable);

    /// <summary>Writes a figure for the case being run: its class, method and the values of its [Params] members.</summary>
    public static void Write(object benchmark, string method, string metric, double value)
    {
        var directory = Directory;
        if (string.IsNullOrEmpty(directory))
        {
            // Not run through Program (e.g. in-process by a test): print only.
            Console.WriteLine($"// {metric} = {value.ToString("R", CultureInfo.InvariantCulture)}");
            return;
        }

        System.IO.Directory.CreateDirectory(directory);
        var parameters = benchmark.GetType()
            .GetMembers(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<ParamsAttribute>() is not null)
            .Select(m => (m.Name, Value: m switch
            {
                PropertyInfo p => p.GetValue(benchmark),
                FieldInfo f => f.GetValue(benchmark),
                _ => null,
            }));
        var key = Key(BenchmarkType(benchmark).Name, method, parameters);
        File.WriteAllText(Path.Combine(directory, $"{key}.{metric}.txt"), value.ToString("R", CultureInfo.InvariantCulture));
        Console.WriteLine($"// {key} {metric} = {value.ToString("R", CultureInfo.InvariantCulture)}");
    }

    /// <summary>The benchmark class itself: BenchmarkDotNet runs a generated subclass (Runnable_N) of it.</summary>
    private static Type BenchmarkType(object benchmark)
    {
        var type = benchmark.GetType();
        while (type.Assembly != typeof(Metrics).Assembly && type.BaseType is { } parent)
        {
            type = parent;
        }

        return type;
    }

    public static string Key(string type, string method, IEnumerable<(string Name, object? Value)> parameters)
    {
        var text = string.Concat(parameters.OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"-{p.Name}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}"));
        var key = $"{type}.{method}{text}";
        return string.Concat(key.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '=' ? c : '_'));
    }

    public static bool TryRead(string type, string method, IEnumerable<(string Name, object? Value)> parameters, string metric, out double value)
    {
        value = 0;
        var directory = Directory;
        if (string.IsNullOrEmpty(directory))
        {
            return false;
        }

        var list = parameters.ToList();
        foreach (var m in new[] { method, AnyMethod })
        {
            var path = Path.Combine(directory, $"{Key(type, m, list)}.{metric}.txt");
            if (File.Exists(path))
            {
                return double.TryParse(File.ReadAllText(path), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
            }
        }

        return false;
    }
}
