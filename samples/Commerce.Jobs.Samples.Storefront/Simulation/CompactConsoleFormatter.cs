using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Commerce.Jobs.Samples.Storefront.Simulation;

/// <summary>One short line per log entry: <c>14:02:05 info  ErpOrderTarget  message</c> (the category without its namespace).</summary>
internal sealed class CompactConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "compact";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var level = logEntry.LogLevel switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
        var category = logEntry.Category[(logEntry.Category.LastIndexOf('.') + 1)..];
        textWriter.Write($"{DateTime.Now:HH:mm:ss} {level}  {category,-22} {message}");
        if (logEntry.Exception is not null)
        {
            textWriter.Write($"{Environment.NewLine}{logEntry.Exception}");
        }

        textWriter.Write(Environment.NewLine);
    }
}
