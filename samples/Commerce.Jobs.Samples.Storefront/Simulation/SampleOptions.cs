using System.Globalization;

namespace Commerce.Jobs.Samples.Storefront.Simulation;

/// <summary>The sample's command-line options.</summary>
public sealed class SampleOptions
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        Usage: dotnet run --project samples/Commerce.Jobs.Samples.Storefront [-- options]

          --duration <time>         how long to run: seconds (10), with a unit (30s, 2m) or a TimeSpan (00:01:30); default 30s
          --failure-rate <0..1>     share of ERP/WMS calls that fail with 500, 429 + Retry-After or a lost answer; default 0.1
          --orders-per-second <n>   orders the storefront places per second; default 20
          --store <memory|sqlite>   the job store: sqlite, a file (storefront-jobs.db) in the working directory that
                                    keeps the order inbox across runs and crashes, or memory; default sqlite
          --dashboard-port <port>   the port of the jobs dashboard on 127.0.0.1 (local requests only); default 0, a free port
          --smtp <host:port>        e-mail failures to a local SMTP catcher there (plain SMTP, no credentials); default off
          --help                    show this text
        """;

    /// <summary>Gets how long the sample runs.</summary>
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the share of ERP/WMS calls that fail.</summary>
    public double FailureRate { get; private set; } = 0.1;

    /// <summary>Gets how many orders the storefront places per second.</summary>
    public double OrdersPerSecond { get; private set; } = 20;

    /// <summary>Gets the job store the sample uses.</summary>
    public SampleStore Store { get; private set; } = SampleStore.Sqlite;

    /// <summary>Gets the dashboard's port on 127.0.0.1; 0 picks a free one.</summary>
    public int DashboardPort { get; private set; }

    /// <summary>Gets the SMTP catcher failures are e-mailed to (<c>--smtp host:port</c>); <see langword="null"/>: no e-mail.</summary>
    public (string Host, int Port)? Smtp { get; private set; }

    /// <summary>Gets a value indicating whether the user asked for the usage text.</summary>
    public bool ShowHelp { get; private set; }

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="options">The options, when valid.</param>
    /// <param name="error">What is wrong, when not.</param>
    /// <returns>Whether the arguments are valid.</returns>
    public static bool TryParse(IReadOnlyList<string> args, out SampleOptions options, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        options = new SampleOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var (name, value) = args[i].Split('=', 2) is [var n, var v] ? (n, (string?)v) : (args[i], null);
            if (name is "--help" or "-h" or "-?")
            {
                options = new SampleOptions { ShowHelp = true };
                return true;
            }

            if (name is not ("--duration" or "--failure-rate" or "--orders-per-second" or "--store" or "--dashboard-port" or "--smtp"))
            {
                error = $"Unknown option '{args[i]}'.";
                return false;
            }

            value ??= i + 1 < args.Count ? args[++i] : null;
            if (value is null)
            {
                error = $"Option '{name}' needs a value.";
                return false;
            }

            switch (name)
            {
                case "--duration" when TryParseDuration(value, out var duration):
                    options.Duration = duration;
                    break;
                case "--failure-rate" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate is >= 0 and <= 1:
                    options.FailureRate = rate;
                    break;
                case "--orders-per-second" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var perSecond) && perSecond is >= 0 and <= 10_000:
                    options.OrdersPerSecond = perSecond;
                    break;
                case "--store" when value is "memory" or "sqlite":
                    options.Store = value == "memory" ? SampleStore.Memory : SampleStore.Sqlite;
                    break;
                case "--dashboard-port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535:
                    options.DashboardPort = port;
                    break;
                case "--smtp" when value.LastIndexOf(':') is > 0 and var colon && value[..colon].Trim() is { Length: > 0 } host
                    && int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var smtpPort) && smtpPort is >= 1 and <= 65535:
                    options.Smtp = (host, smtpPort);
                    break;
                default:
                    error = name switch
                    {
                        "--duration" => $"'{value}' is not a duration: use seconds (10), a unit (30s, 2m) or a TimeSpan (00:01:30), at least 1 second.",
                        "--failure-rate" => $"'{value}' is not a failure rate: use a number from 0 to 1.",
                        "--store" => $"'{value}' is not a store: use memory or sqlite.",
                        "--dashboard-port" => $"'{value}' is not a port: use a number from 0 (any free port) to 65535.",
                        "--smtp" => $"'{value}' is not an SMTP server: use host:port, such as 127.0.0.1:1025.",
                        _ => $"'{value}' is not a rate: use a number of orders per second from 0 to 10000.",
                    };
                    return false;
            }
        }

        return true;
    }

    private static bool TryParseDuration(string value, out TimeSpan duration)
    {
        var (number, unit) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 0.001)
            : value.EndsWith('s') ? (value[..^1], 1d)
            : value.EndsWith('m') ? (value[..^1], 60d)
            : value.EndsWith('h') ? (value[..^1], 3600d)
            : (value, 1d);
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && double.IsFinite(amount))
        {
            duration = TimeSpan.FromSeconds(amount * unit);
        }
        else if (!TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out duration))
        {
            return false;
        }

        return duration >= TimeSpan.FromSeconds(1) && duration <= TimeSpan.FromDays(1);
    }
}
