# Used by tasks/certificate_on_host.yml through ansible.windows.win_powershell.
# Reuses a certificate in LocalMachine\My with this collection's friendly name, its private key and
# more than RenewBeforeDays left; otherwise makes one with New-SelfSignedCertificate. The friendly
# name 'RTVS broker <fqdn>' marks it as this collection's (only such certificates are ever removed).
# Outputs one object: @{ thumbprint; subject; created; not_after }.
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory = $true)]
    [string]$Fqdn,

    [string[]]$SubjectAltNames = @(),

    # '2.5.29.17={text}DNS=...&IPAddress=...' from the rtvs.remote.win_san_text filter.
    [string]$SanText = '',

    [Parameter(Mandatory = $true)]
    [string]$FriendlyName,

    [int]$ValidDays = 365,

    [int]$RenewBeforeDays = 30
)

$ErrorActionPreference = 'Stop'
$renewAfter = (Get-Date).AddDays($RenewBeforeDays)

$existing = Get-ChildItem -Path Cert:\LocalMachine\My |
    Where-Object { [string]::Equals($_.FriendlyName, $FriendlyName, [StringComparison]::OrdinalIgnoreCase) } |
    Where-Object { $_.HasPrivateKey -and $_.NotAfter -gt $renewAfter } |
    Sort-Object -Property NotAfter -Descending |
    Select-Object -First 1

if ($null -ne $existing) {
    $Ansible.Changed = $false
    @{ thumbprint = $existing.Thumbprint; subject = $existing.Subject; created = $false; not_after = $existing.NotAfter.ToUniversalTime().ToString('o') }
    return
}

$Ansible.Changed = $true
if ($Ansible.CheckMode) {
    @{ thumbprint = $null; subject = "CN=$Fqdn"; created = $true; not_after = $null }
    return
}

# Which parameters this system's cmdlet has decides the route (Server 2012 R2 only knows -DnsName,
# -CloneCert and -CertStoreLocation), not the OS version, which depends on the host's manifest.
$parameters = (Get-Command -Name New-SelfSignedCertificate).Parameters
if ($parameters.ContainsKey('TextExtension') -and $parameters.ContainsKey('Subject') -and $SanText) {
    # Windows 10 / Server 2016 and later: IP addresses as IPAddress= SAN entries (not DNS names), a
    # chosen validity and key size, a key that cannot be exported.
    $cert = New-SelfSignedCertificate -CertStoreLocation Cert:\LocalMachine\My -Subject "CN=$Fqdn" `
        -TextExtension @($SanText) -NotAfter (Get-Date).AddDays($ValidDays) -KeyLength 2048 `
        -KeyExportPolicy NonExportable -KeyUsage @('DigitalSignature', 'KeyEncipherment') `
        -Provider 'Microsoft Software Key Storage Provider' -FriendlyName $FriendlyName
}
else {
    # Server 2012 R2: -DnsName only (one year, 2048-bit; IP entries would become DNS names, so only
    # names are passed), then the friendly name is set on the new certificate.
    $dnsNames = @($Fqdn) + @($SubjectAltNames | Where-Object { $_ -and $_ -ne $Fqdn -and -not ($_ -as [System.Net.IPAddress]) })
    $cert = New-SelfSignedCertificate -CertStoreLocation Cert:\LocalMachine\My -DnsName $dnsNames
    $cert.FriendlyName = $FriendlyName
}
@{ thumbprint = $cert.Thumbprint; subject = $cert.Subject; created = $true; not_after = $cert.NotAfter.ToUniversalTime().ToString('o') }
