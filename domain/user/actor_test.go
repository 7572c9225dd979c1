package user_test

import (
	"testing"

	"github.com/secondbloom/marketplace/domain/user"
)

func TestActorPolicies(t *testing.T) {
	const id = "0193a000-0000-7000-8000-000000000001"
	tests := []struct {
		name                                         string
		a                                            user.Actor
		anonymous, staff, admin, moderate, manageCat bool
	}{
		{name: "anonymous", a: user.Actor{}, anonymous: true},
		{name: "user", a: user.Actor{UserID: id, Role: user.RoleUser}},
		{name: "moderator", a: user.Actor{UserID: id, Role: user.RoleModerator}, staff: true, moderate: true},
		{name: "admin", a: user.Actor{UserID: id, Role: user.RoleAdmin}, staff: true, admin: true, moderate: true, manageCat: true},
		{name: "a role without a user is nobody", a: user.Actor{Role: user.RoleAdmin}, anonymous: true},
		{name: "the system is not staff", a: user.SystemActor("cli")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := []bool{tc.a.Anonymous(), tc.a.IsStaff(), tc.a.IsAdmin(), tc.a.CanModerate(), tc.a.CanManageCategories(), tc.a.CanManageUsers(), tc.a.CanSeeAllOrders()}
			want := []bool{tc.anonymous, tc.staff, tc.admin, tc.moderate, tc.manageCat, tc.admin, tc.admin}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("policy %d of %+v = %v, want %v (Anonymous, IsStaff, IsAdmin, CanModerate, CanManageCategories, CanManageUsers, CanSeeAllOrders)", i, tc.a, got[i], want[i])
				}
			}
		})
	}
	if (user.Actor{}).Is("") {
		t.Error("Actor{}.Is(\"\") = true, want false: an empty id is nobody")
	}
	if !(user.Actor{UserID: id}).Is(id) {
		t.Errorf("Actor{%s}.Is(%s) = false, want true", id, id)
	}
}
