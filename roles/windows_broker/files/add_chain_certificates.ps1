# Used by tasks/certificate_import.yml through ansible.windows.win_powershell.
# Adds the chain certificates the plan chose (rtvs.remote.win_certificate_plan: intermediates to CA,
# a root to Root only when rtvs_windows_install_root_ca is set) to LocalMachine. Certificates only,
# never keys; one already in its store is left alone.
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [object[]]$Certificates
)

$ErrorActionPreference = 'Stop'
$allowed = @('CA', 'Root')
$added = @()
foreach ($entry in $Certificates) {
    if ($allowed -notcontains $entry.store) {
        throw "Chain certificates go to CA or Root only; got store '$($entry.store)'."
    }
    $bytes = [Convert]::FromBase64String($entry.der_b64)
    $cert = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList (, $bytes)
    if ($cert.Thumbprint -ne ([string]$entry.thumbprint).ToUpperInvariant()) {
        throw "Chain certificate thumbprint $($cert.Thumbprint) differs from the planned $($entry.thumbprint)."
    }
    $store = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Store -ArgumentList $entry.store, 'LocalMachine'
    $flags = 'ReadWrite'
    if ($Ansible.CheckMode) {
        $flags = 'ReadOnly'
    }
    $store.Open($flags)
    try {
        if ($store.Certificates.Find('FindByThumbprint', $cert.Thumbprint, $false).Count -eq 0) {
            if (-not $Ansible.CheckMode) {
                $store.Add($cert)
            }
            $added += @{ store = $entry.store; thumbprint = $cert.Thumbprint; subject = $cert.Subject }
        }
    }
    finally {
        $store.Close()
    }
}
$Ansible.Changed = ($added.Count -gt 0)
@{ added = $added }
