namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>The defaults of <see cref="PostgreSqlStoreOptions"/>, in one place.</summary>
internal static class PostgreSqlStoreDefaults
{
    public const string Schema = "commerce_jobs";

    public const bool AutoMigrate = true;

    /// <summary>Statements Npgsql prepares automatically per connection when the connection string does not say (the store runs a few, often).</summary>
    public const int MaxAutoPrepare = 32;
}
