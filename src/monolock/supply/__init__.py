"""The supply chain per app: known vulnerabilities in what each app installs."""
