# Used by tasks/certificate_on_host.yml through ansible.windows.win_powershell.
# Reuses a certificate in LocalMachine\My whose Subject is exactly CN=<Fqdn>, that has its
# private key and more than RenewBeforeDays left; otherwise makes one with New-SelfSignedCertificate.
# Outputs one object: @{ thumbprint; created; not_after }.
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory = $true)]
    [string]$Fqdn,

    [string[]]$SubjectAltNames = @(),

    [int]$ValidDays = 365,

    [int]$RenewBeforeDays = 30
)

$ErrorActionPreference = 'Stop'
$subject = "CN=$Fqdn"
$renewAfter = (Get-Date).AddDays($RenewBeforeDays)

$existing = Get-ChildItem -Path Cert:\LocalMachine\My |
    Where-Object { [string]::Equals($_.Subject, $subject, [StringComparison]::OrdinalIgnoreCase) } |
    Where-Object { $_.HasPrivateKey -and $_.NotAfter -gt $renewAfter } |
    Sort-Object -Property NotAfter -Descending |
    Select-Object -First 1

if ($null -ne $existing) {
    $Ansible.Changed = $false
    @{ thumbprint = $existing.Thumbprint; created = $false; not_after = $existing.NotAfter.ToUniversalTime().ToString('o') }
    return
}

$Ansible.Changed = $true
if ($Ansible.CheckMode) {
    @{ thumbprint = $null; created = $true; not_after = $null }
    return
}

$dnsNames = @($Fqdn) + @($SubjectAltNames | Where-Object { $_ -and $_ -ne $Fqdn })
$build = [Environment]::OSVersion.Version.Build
if ($build -ge 10240) {
    # Windows 10 / Server 2016 and later: choose validity, key size and a non-exportable key.
    $cert = New-SelfSignedCertificate -CertStoreLocation Cert:\LocalMachine\My -DnsName $dnsNames `
        -NotAfter (Get-Date).AddDays($ValidDays) -KeyLength 2048 -KeyExportPolicy NonExportable `
        -KeyUsage @('DigitalSignature', 'KeyEncipherment') -Provider 'Microsoft Software Key Storage Provider'
}
else {
    # Server 2012 R2 only knows -DnsName and -CertStoreLocation (one year, 2048-bit).
    $cert = New-SelfSignedCertificate -CertStoreLocation Cert:\LocalMachine\My -DnsName $dnsNames
}
@{ thumbprint = $cert.Thumbprint; created = $true; not_after = $cert.NotAfter.ToUniversalTime().ToString('o') }
