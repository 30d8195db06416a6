package graph

// PrivilegedRoleTemplates are the built-in directory roles whose holder can
// take over the tenant or its data (Microsoft marks them PRIVILEGED).
var PrivilegedRoleTemplates = map[string]bool{
	"62e90394-69f5-4237-9190-012177145e10": true, // Global Administrator
	"e8611ab8-c189-46e8-94e1-60213ab1f814": true, // Privileged Role Administrator
	"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": true, // Privileged Authentication Administrator
	"194ae4cb-b126-40b2-bd5b-6091b380977d": true, // Security Administrator
	"29232cdf-9323-42fd-ade2-1d097af3e4de": true, // Exchange Administrator
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c": true, // SharePoint Administrator
	"fe930be7-5e62-47db-91af-98c3a49a38b1": true, // User Administrator
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": true, // Application Administrator
	"158c047a-c907-4556-b7ef-446551a6b5f7": true, // Cloud Application Administrator
	"c4e39bd9-1100-46d3-8c65-fb160da0071f": true, // Authentication Administrator
	"729827e3-9c14-49f7-bb1b-9608f156bbb8": true, // Helpdesk Administrator
	"966707d0-3269-4727-9be2-8c3a10f19b9d": true, // Password Administrator
	"b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": true, // Conditional Access Administrator
	"8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": true, // Hybrid Identity Administrator
	"3a2c62db-5318-420d-8d74-23affee5d9d5": true, // Intune Administrator
	"9360feb5-f418-4baa-8175-e2a00bac4301": true, // Directory Writers
	"e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8": true, // Partner Tier2 Support
	"f2ef992c-3afb-46b9-b7cf-a126ee74c451": true, // Global Reader
	"5d6b6bb7-de71-4623-b4af-96380a352509": true, // Security Reader
	"be2f45a1-457d-42af-a067-6ec1fa63bc45": true, // External Identity Provider Administrator
	"d29b2b05-8046-44ba-8758-1e26182fcf32": true, // Directory Synchronization Accounts
}
