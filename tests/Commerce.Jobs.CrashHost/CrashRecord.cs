namespace Commerce.Jobs.CrashHost;

/// <summary>One record of the crash test: its id is its number.</summary>
public sealed record CrashRecord(int Id) : IRecord
{
    public string RecordId => Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
