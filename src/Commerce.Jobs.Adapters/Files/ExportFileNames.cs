using System.Globalization;
using System.Text.RegularExpressions;

namespace Commerce.Jobs.Adapters;

/// <summary>
/// The names of the files a file export target writes, which are the only files the cleanup job removes:
/// <c>{job}_{yyyyMMdd'T'HHmmssfff'Z'}_{16 hex}.{jsonl|csv}</c>, and while being written <c>.{job}_{32 hex}.export.tmp</c>.
/// The job's name (an entity type for entity sync) is made safe by <see cref="NameSegment"/>: no path separators, no
/// <c>..</c>, no control characters or wildcards, at most 100 characters, distinct names kept distinct.
/// </summary>
internal static partial class ExportFileNames
{
    public static string Extension(FileExportFormat format) => format == FileExportFormat.Csv ? "csv" : "jsonl";

    /// <summary>Returns the final name: job, UTC time of writing, and the batch's hash.</summary>
    public static string Final(string job, DateTimeOffset utcNow, string hash, FileExportFormat format)
        => string.Create(CultureInfo.InvariantCulture, $"{NameSegment.Create(job)}_{utcNow.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}_{hash}.{Extension(format)}");

    /// <summary>Returns a fresh temporary name, hidden on Unix, in the same folder as the final file so the rename is atomic.</summary>
    public static string Temporary(string job) => $".{NameSegment.Create(job)}_{Guid.NewGuid():N}.export.tmp";

    /// <summary>Returns the search pattern of every final file of <paramref name="job"/>'s batch with <paramref name="hash"/>.</summary>
    public static string SameBatchPattern(string job, string hash, FileExportFormat format) => $"{NameSegment.Create(job)}_*_{hash}.{Extension(format)}";

    /// <summary>Tells whether the target wrote (or was writing) a file of this name.</summary>
    public static bool IsExportFile(string fileName) => Export().IsMatch(fileName) || Temp().IsMatch(fileName);

    /// <summary>Tells whether the name is a final export name.</summary>
    public static bool IsFinal(string fileName) => Export().IsMatch(fileName);

    [GeneratedRegex(@"\A[A-Za-z0-9._%-]{1,100}_[0-9]{8}T[0-9]{9}Z_[0-9a-f]{16}\.(?:jsonl|csv)\z", RegexOptions.CultureInvariant)]
    private static partial Regex Export();

    [GeneratedRegex(@"\A\.[A-Za-z0-9._%-]{1,100}_[0-9a-f]{32}\.export\.tmp\z", RegexOptions.CultureInvariant)]
    private static partial Regex Temp();
}
