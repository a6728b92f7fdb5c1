using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Commerce.Jobs.Samples.Storefront.Simulation;

/// <summary>Console logging for the sample: one compact line per entry.</summary>
internal static class LoggingBuilderExtensions
{
    public static ILoggingBuilder AddCompactConsole(this ILoggingBuilder logging)
    {
        logging.AddConsole(o => o.FormatterName = CompactConsoleFormatter.FormatterName);
        logging.AddConsoleFormatter<CompactConsoleFormatter, ConsoleFormatterOptions>();
        return logging;
    }
}
