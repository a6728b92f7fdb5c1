namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>Settings of the PostgreSQL job store, which several hosts of one application share.</summary>
/// <remarks>Validated at start-up: the connection string is required and the schema must be a plain PostgreSQL identifier.</remarks>
public sealed class PostgreSqlStoreOptions
{
    /// <summary>Gets or sets the Npgsql connection string of the database the hosts share.</summary>
    /// <value>Required; there is no default.</value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets the schema that holds the store's tables (letters, digits and '_', not starting with a digit, at most 63 characters).</summary>
    /// <value>The default value is <c>commerce_jobs</c>.</value>
    public string Schema { get; set; } = PostgreSqlStoreDefaults.Schema;

    /// <summary>
    /// Gets or sets whether the store creates and upgrades its schema itself when first used (in one transaction, under an
    /// advisory lock, so hosts starting together migrate once). Turn it off when the host applies
    /// <see cref="PostgreSqlStoreMigrations.GetScript(string)"/> itself; the store then fails with a message naming the
    /// version it needs if the schema is older.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool AutoMigrate { get; set; } = PostgreSqlStoreDefaults.AutoMigrate;
}
